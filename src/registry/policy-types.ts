/**
 * @module registry/policy-types
 * The shapes of AWS IoT's policy operations as the AWS model names them (policies, versions,
 * attachments, TestAuthorization) and the PolicyRegistry's API.
 */
import type { DecidingStatement } from '../auth/policy/index.js';

export interface PolicySummary {
  policyName: string;
  policyArn: string;
}

export interface CreatedPolicy extends PolicySummary {
  policyDocument: string;
  policyVersionId: string;
}

export interface PolicyDescription extends PolicySummary {
  policyDocument: string;
  defaultVersionId: string;
  /** Epoch seconds. */
  creationDate: number;
  lastModifiedDate: number;
  generationId: string;
}

export interface CreatedPolicyVersion {
  policyArn: string;
  policyDocument: string;
  policyVersionId: string;
  isDefaultVersion: boolean;
}

export interface PolicyVersionDescription extends CreatedPolicyVersion {
  policyName: string;
  creationDate: number;
  lastModifiedDate: number;
  generationId: string;
}

export interface PolicyVersionSummary {
  versionId: string;
  isDefaultVersion: boolean;
  /** Epoch seconds. */
  createDate: number;
}

export interface MarkerPaging {
  marker?: string | undefined;
  pageSize?: number | undefined;
  isAscendingOrder?: boolean | undefined;
}

export interface AuthInfo {
  actionType?: string;
  resources: string[];
}

export interface TestAuthorizationInput {
  principal?: string | undefined;
  cognitoIdentityPoolId?: string | undefined;
  clientId?: string | undefined;
  authInfos: AuthInfo[];
  policyNamesToAdd?: string[] | undefined;
  policyNamesToSkip?: string[] | undefined;
}

export interface AuthResult {
  authInfo: AuthInfo;
  allowed: { policies: PolicySummary[] };
  denied: { implicitDeny: { policies: PolicySummary[] }; explicitDeny: { policies: PolicySummary[] } };
  authDecision: 'ALLOWED' | 'EXPLICIT_DENY' | 'IMPLICIT_DENY';
  missingContextValues: string[];
  /** topicd extension (SDKs ignore unknown members): the statement that decided, absent for an implicit deny. */
  decidedBy?: DecidingStatement;
}

/** Another kind of policy target (access key, thing group): recognizes its targets and checks one exists. */
export interface PolicyTargetKind {
  matches(target: string): boolean;
  /** The target as stored (canonical form); throws ResourceNotFoundException when it does not exist. */
  resolve(target: string): Promise<string>;
}

export interface PolicyRegistryApi {
  policyArn(policyName: string): string;
  createPolicy(policyName: string, policyDocument: string): Promise<CreatedPolicy>;
  getPolicy(policyName: string): Promise<PolicyDescription>;
  listPolicies(input: MarkerPaging): Promise<{ policies: PolicySummary[]; nextMarker?: string }>;
  deletePolicy(policyName: string): Promise<void>;
  createPolicyVersion(policyName: string, policyDocument: string, setAsDefault: boolean): Promise<CreatedPolicyVersion>;
  getPolicyVersion(policyName: string, policyVersionId: string): Promise<PolicyVersionDescription>;
  listPolicyVersions(policyName: string): Promise<{ policyVersions: PolicyVersionSummary[] }>;
  setDefaultPolicyVersion(policyName: string, policyVersionId: string): Promise<void>;
  deletePolicyVersion(policyName: string, policyVersionId: string): Promise<void>;
  attachPolicy(policyName: string, target: string): Promise<void>;
  detachPolicy(policyName: string, target: string): Promise<void>;
  /** ListAttachedPolicies and ListPrincipalPolicies. */
  listAttachedPolicies(target: string, input: MarkerPaging): Promise<{ policies: PolicySummary[]; nextMarker?: string }>;
  listTargetsForPolicy(policyName: string, input: MarkerPaging): Promise<{ targets: string[]; nextMarker?: string }>;
  getEffectivePolicies(input: { principal?: string | undefined; cognitoIdentityPoolId?: string | undefined; thingName?: string | undefined }):
    Promise<{ effectivePolicies: Array<PolicySummary & { policyDocument: string }> }>;
  testAuthorization(input: TestAuthorizationInput): Promise<{ authResults: AuthResult[] }>;
  addTargetKind(kind: PolicyTargetKind): void;
  /** Detaches every policy from a target that is going away (a deleted access key). */
  detachAllOf(target: string): Promise<void>;
}
