/**
 * @module registry/ca-registry
 * Bring your own CA (reference §7; botocore iot 2015-05-28): the account's registration code, CA
 * certificates registered with a verification certificate (RegisterCACertificate and the rest of the
 * CA operations), device certificates those CAs issued (RegisterCertificate), certificates registered
 * without any CA (RegisterCertificateWithoutCA, SNI_ONLY), and just-in-time registration of a device
 * whose certificate comes from a CA with auto-registration enabled.
 *
 * For the TLS listeners it keeps, in memory and in step with its writes, the registered CAs (the ACTIVE
 * ones are trusted next to topicd's own root) and the ids of certificates registered without a CA (the
 * only unverified client certificates a listener lets through to the registry's status check). It tells
 * listeners when the trusted set changes and when a certificate was auto-registered. Device
 * certificates themselves go through the Registry, which owns their statuses.
 */
import { randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { TopicdError, alreadyExists, invalidRequest, notFound } from '../errors.js';
import { certificateIdOf } from '../pki/certificate-id.js';
import { isCurrent, isIssuedBy, parseCertificate, type ParsedCertificate } from '../pki/certificate-check.js';
import { CERTIFICATE_STATUSES } from '../store/store.js';
import type { CaCertificateRow, CertificateRow, CertificateStatus, Store } from '../store/store.js';
import type {
  CaCertificateDescription, CaCertificateSummary, CaRegistryApi, CertificateRegisteredEvent, ClientCertificateTrust,
  RegisterCaCertificateInput, RegisterCertificateInput, RegistrationConfig, UpdateCaCertificateInput,
} from './ca-types.js';
import type { Registry } from './registry.js';
import type { CertificateSummary, ListCertificatesInput } from './types.js';
import { checkCertificateId, checkPageSize } from './validation.js';

export interface CaRegistryOptions {
  store: Store;
  registry: Registry;
  /** Epoch milliseconds; injected so tests control time. */
  clock?: () => number;
  /** Where a failed auto-registration or a throwing listener goes (never the client's handshake). */
  onError?: (err: unknown) => void;
}

/** AWS: ListCACertificates and ListCertificatesByCA pageSize 1..250. */
const LIST_MAX = 250;
const LIST_DEFAULT = 25;
/** AWS: CertificatePem is 1..65536 characters. */
const PEM_MAX = 65536;
const REGISTRATION_CODE_KEY = 'registrationCode';

const seconds = (ms: number): number => ms / 1000;

function checkPem(value: string, member: string): string {
  if (value.length < 1 || value.length > PEM_MAX) {
    throw invalidRequest(`1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must have length between 1 and ${PEM_MAX}`);
  }
  return value;
}

const certificateError = (message: string): TopicdError => new TopicdError('CertificateValidationException', message);

export class CaRegistry implements CaRegistryApi, ClientCertificateTrust {
  private readonly store: Store;
  private readonly registry: Registry;
  private readonly clock: () => number;
  private readonly onError: (err: unknown) => void;
  private readonly cas = new Map<string, CaCertificateRow>();
  private readonly withoutCa = new Set<string>();
  private activePems: string[] = [];
  private readonly trustListeners = new Set<() => void>();
  private readonly registeredListeners = new Set<(event: CertificateRegisteredEvent) => void>();
  /** Auto-registrations under way, so a burst of connection attempts registers a certificate once. */
  private readonly registering = new Set<string>();

  constructor(options: CaRegistryOptions) {
    this.store = options.store;
    this.registry = options.registry;
    this.clock = options.clock ?? Date.now;
    this.onError = options.onError
      ?? ((err) => process.emitWarning(`CA registry: ${err instanceof Error ? err.stack ?? err.message : String(err)}`));
    options.registry.onCertificateChange(({ certificateId, status }) => {
      if (status === undefined) this.withoutCa.delete(certificateId);
    });
  }

  /** Loads the registered CAs and the certificates registered without one; call once before serving. */
  async init(): Promise<void> {
    this.cas.clear();
    for (const row of await this.store.caCertificates.all()) this.cas.set(row.certificateId, row);
    this.withoutCa.clear();
    for (const id of await this.store.caCertificates.certificateIdsWithoutCa()) this.withoutCa.add(id);
    this.refreshTrust(false);
  }

  caCertificateArn(certificateId: string): string {
    return `arn:aws:iot:${this.registry.region}:${this.registry.accountId}:cacert/${certificateId}`;
  }

  // ---- registration code ----

  /** AWS: one code per account, the same on every call (until DeleteRegistrationCode, which topicd lacks). */
  async getRegistrationCode(): Promise<{ registrationCode: string }> {
    const existing = await this.store.meta.get(REGISTRATION_CODE_KEY);
    if (existing !== undefined) return { registrationCode: existing };
    const registrationCode = randomBytes(32).toString('hex');
    await this.store.meta.set(REGISTRATION_CODE_KEY, registrationCode);
    return { registrationCode };
  }

  // ---- CA certificates ----

  /**
   * AWS: in DEFAULT mode the verification certificate proves possession of the CA's key: it must be
   * signed by it (else CertificateValidationException) and its subject CN must be the account's
   * registration code (else RegistrationCodeValidationException). SNI_ONLY needs no proof.
   */
  async registerCaCertificate(input: RegisterCaCertificateInput): Promise<{ certificateArn: string; certificateId: string }> {
    const ca = parseCertificate(checkPem(input.caCertificate, 'caCertificate'), 'caCertificate');
    const now = this.clock();
    if (!ca.isCa) throw certificateError('The caCertificate is not a CA certificate (its basic constraints do not say CA:TRUE).');
    if (!isCurrent(ca, now)) throw certificateError('The caCertificate is expired or not yet valid.');
    const mode = input.certificateMode ?? 'DEFAULT';
    if (mode === 'DEFAULT') {
      if (input.verificationCertificate === undefined || input.verificationCertificate === '') {
        throw invalidRequest('A verificationCertificate is required when certificateMode is DEFAULT: a certificate whose common name is the registration code, signed by the CA\'s private key.');
      }
      const verification = parseCertificate(checkPem(input.verificationCertificate, 'verificationCertificate'), 'verificationCertificate');
      if (!isIssuedBy(verification, ca)) {
        throw certificateError('The verificationCertificate is not signed by the private key of the caCertificate.');
      }
      const { registrationCode } = await this.getRegistrationCode();
      if (verification.commonName !== registrationCode) {
        throw new TopicdError('RegistrationCodeValidationException',
          'The common name (CN) of the verificationCertificate is not this account\'s registration code (GetRegistrationCode).');
      }
    }
    const arn = this.caCertificateArn(ca.certificateId);
    const row: CaCertificateRow = {
      certificateId: ca.certificateId,
      certificatePem: ca.pem,
      status: input.setAsActive === true ? 'ACTIVE' : 'INACTIVE',
      autoRegistrationStatus: input.allowAutoRegistration === true ? 'ENABLE' : 'DISABLE',
      ownedBy: this.registry.accountId,
      certificateMode: mode,
      registrationConfig: input.registrationConfig === undefined ? null : JSON.stringify(input.registrationConfig),
      creationDate: now,
      lastModifiedDate: now,
      notBefore: ca.notBefore,
      notAfter: ca.notAfter,
      customerVersion: 1,
      generationId: randomUUID(),
    };
    if (!(await this.store.caCertificates.insert(row))) {
      throw alreadyExists('The CA certificate is already registered.', ca.certificateId, arn);
    }
    this.cas.set(row.certificateId, row);
    if (row.status === 'ACTIVE') this.refreshTrust(true);
    return { certificateArn: arn, certificateId: row.certificateId };
  }

  async describeCaCertificate(certificateId: string): Promise<{ certificateDescription: CaCertificateDescription; registrationConfig?: RegistrationConfig }> {
    const row = await this.getCa(certificateId);
    const certificateDescription: CaCertificateDescription = {
      certificateArn: this.caCertificateArn(row.certificateId),
      certificateId: row.certificateId,
      status: row.status,
      certificatePem: row.certificatePem,
      ownedBy: row.ownedBy,
      creationDate: seconds(row.creationDate),
      autoRegistrationStatus: row.autoRegistrationStatus,
      lastModifiedDate: seconds(row.lastModifiedDate),
      customerVersion: row.customerVersion,
      generationId: row.generationId,
      validity: { notBefore: seconds(row.notBefore), notAfter: seconds(row.notAfter) },
      certificateMode: row.certificateMode,
    };
    return row.registrationConfig === null
      ? { certificateDescription }
      : { certificateDescription, registrationConfig: JSON.parse(row.registrationConfig) as RegistrationConfig };
  }

  /** AWS: newest first unless isAscendingOrder, as ListCertificates. */
  async listCaCertificates(input: ListCertificatesInput): Promise<{ certificates: CaCertificateSummary[]; nextMarker?: string }> {
    const limit = checkPageSize(input.pageSize, 'pageSize', LIST_MAX, LIST_DEFAULT);
    const page = await this.store.caCertificates.list({ after: input.marker, limit, ascending: input.isAscendingOrder === true });
    const certificates = page.items.map((row) => ({
      certificateArn: this.caCertificateArn(row.certificateId),
      certificateId: row.certificateId,
      status: row.status,
      creationDate: seconds(row.creationDate),
    }));
    return page.next === null ? { certificates } : { certificates, nextMarker: page.next };
  }

  /** AWS: removeAutoRegistration drops the registration config and turns auto-registration off. */
  async updateCaCertificate(input: UpdateCaCertificateInput): Promise<void> {
    if (input.removeAutoRegistration === true && input.newAutoRegistrationStatus === 'ENABLE') {
      throw invalidRequest('Cannot specify both removeAutoRegistration and newAutoRegistrationStatus ENABLE.');
    }
    const row = await this.getCa(input.certificateId);
    const next: CaCertificateRow = {
      ...row,
      status: input.newStatus ?? row.status,
      autoRegistrationStatus: input.removeAutoRegistration === true ? 'DISABLE' : (input.newAutoRegistrationStatus ?? row.autoRegistrationStatus),
      registrationConfig: input.removeAutoRegistration === true ? null
        : input.registrationConfig === undefined ? row.registrationConfig : JSON.stringify(input.registrationConfig),
      lastModifiedDate: this.clock(),
      customerVersion: row.customerVersion + 1,
      generationId: randomUUID(),
    };
    if (!(await this.store.caCertificates.update(next))) throw this.caNotFound(row.certificateId);
    this.cas.set(next.certificateId, next);
    if (next.status !== row.status) this.refreshTrust(true);
  }

  /**
   * AWS: an ACTIVE CA is not deleted (CertificateStateException), nor one that certificates registered
   * under it still name (DeleteConflictException).
   */
  async deleteCaCertificate(certificateId: string): Promise<void> {
    const row = await this.getCa(certificateId);
    if (row.status === 'ACTIVE') {
      throw new TopicdError('CertificateStateException', `The CA certificate must be deactivated (not ACTIVE) before deletion. Id: ${row.certificateId}`);
    }
    if ((await this.store.caCertificates.countCertificatesOf(row.certificateId)) > 0) {
      throw new TopicdError('DeleteConflictException',
        `Certificates registered with the CA certificate ${row.certificateId} must be deleted before it is.`);
    }
    if (!(await this.store.caCertificates.delete(row.certificateId))) throw this.caNotFound(row.certificateId);
    this.cas.delete(row.certificateId);
    this.refreshTrust(true);
  }

  // ---- device certificates ----

  /**
   * AWS: the certificate's issuer must be a registered CA (the one given as caCertificatePem, or found
   * among the registered ones), and that CA must be ACTIVE for the certificate to be registered ACTIVE;
   * otherwise CertificateValidationException.
   */
  async registerCertificate(input: RegisterCertificateInput): Promise<{ certificateArn: string; certificateId: string }> {
    const cert = parseCertificate(checkPem(input.certificatePem, 'certificatePem'), 'certificatePem');
    const status = this.initialStatus(input.status, input.setAsActive);
    let ca: CaCertificateRow | undefined;
    if (input.caCertificatePem !== undefined && input.caCertificatePem !== '') {
      const given = parseCertificate(checkPem(input.caCertificatePem, 'caCertificatePem'), 'caCertificatePem');
      ca = this.cas.get(given.certificateId);
      if (!ca) throw certificateError('The caCertificatePem is not a registered CA certificate: register it with RegisterCACertificate first.');
      if (!isIssuedBy(cert, given)) throw certificateError('The certificate is not signed by the CA certificate given as caCertificatePem.');
    } else {
      ca = [...this.cas.values()].find((row) => isIssuedBy(cert, parseCertificate(row.certificatePem, 'caCertificate')));
      if (!ca) throw certificateError('The certificate was not issued by any registered CA certificate: register its CA with RegisterCACertificate first.');
    }
    if (status === 'ACTIVE' && ca.status !== 'ACTIVE') {
      throw certificateError(`The CA certificate ${ca.certificateId} is not ACTIVE, so a certificate it issued cannot be registered ACTIVE.`);
    }
    if (!isCurrent(cert, this.clock())) throw certificateError('The certificate is expired or not yet valid.');
    return this.insert(cert, status, ca.certificateId, 'DEFAULT');
  }

  /** AWS: a certificate registered without a CA is SNI_ONLY; devices present it with SNI. */
  async registerCertificateWithoutCa(certificatePem: string, status?: CertificateStatus): Promise<{ certificateArn: string; certificateId: string }> {
    const cert = parseCertificate(checkPem(certificatePem, 'certificatePem'), 'certificatePem');
    if (!isCurrent(cert, this.clock())) throw certificateError('The certificate is expired or not yet valid.');
    const created = await this.insert(cert, this.initialStatus(status, undefined), null, 'SNI_ONLY');
    this.withoutCa.add(created.certificateId);
    return created;
  }

  /** The certificates registered under a CA (topicd's own root included), newest first unless isAscendingOrder. */
  async listCertificatesByCa(caCertificateId: string, input: ListCertificatesInput): Promise<{ certificates: CertificateSummary[]; nextMarker?: string }> {
    const id = checkCertificateId(caCertificateId);
    const limit = checkPageSize(input.pageSize, 'pageSize', LIST_MAX, LIST_DEFAULT);
    const page = await this.store.caCertificates.certificatesOf(id, { after: input.marker, limit, ascending: input.isAscendingOrder === true });
    const certificates = page.items.map((row) => this.registry.certificateSummary(row));
    return page.next === null ? { certificates } : { certificates, nextMarker: page.next };
  }

  // ---- TLS listeners (hot path) ----

  activeCaPems(): string[] {
    return this.activePems;
  }

  registeredWithoutCa(certificateId: string): boolean {
    return this.withoutCa.has(certificateId);
  }

  noticeUnregistered(certificateId: string, peer: () => { certificate: Uint8Array; issuer: Uint8Array | undefined }): void {
    // Hot path: a known certificate (the usual case) costs one map lookup.
    if (this.registry.certificateStatus(certificateId) !== undefined || this.registering.has(certificateId)) return;
    const { certificate, issuer } = peer();
    const ca = issuer === undefined ? undefined : this.cas.get(certificateIdOf(issuer));
    if (!ca || ca.status !== 'ACTIVE' || ca.autoRegistrationStatus !== 'ENABLE') return;
    this.registering.add(certificateId);
    this.autoRegister(certificate, ca)
      .catch((err: unknown) => {
        // A concurrent registration (another node, the API) got there first: nothing to announce.
        if (!(err instanceof TopicdError && err.code === 'ResourceAlreadyExistsException')) this.onError(err);
      })
      .finally(() => this.registering.delete(certificateId));
  }

  /** Called with no argument whenever the ACTIVE CA set changes; returns the unsubscribe function. */
  onTrustChange(listener: () => void): () => void {
    const entry = (): void => listener();
    this.trustListeners.add(entry);
    return () => { this.trustListeners.delete(entry); };
  }

  /** Called after a certificate was auto-registered (AWS then publishes the registered event). */
  onCertificateRegistered(listener: (event: CertificateRegisteredEvent) => void): () => void {
    const entry = (event: CertificateRegisteredEvent): void => listener(event);
    this.registeredListeners.add(entry);
    return () => { this.registeredListeners.delete(entry); };
  }

  // ---- helpers ----

  /** AWS: just-in-time registration leaves the certificate PENDING_ACTIVATION until someone activates it. */
  private async autoRegister(certificateDer: Uint8Array, ca: CaCertificateRow): Promise<void> {
    const cert = parseCertificate(new X509Certificate(certificateDer).toString(), 'certificate');
    const { certificateId } = await this.insert(cert, 'PENDING_ACTIVATION', ca.certificateId, 'DEFAULT');
    const now = this.clock();
    const event: CertificateRegisteredEvent = {
      certificateId,
      caCertificateId: ca.certificateId,
      timestamp: now,
      certificateStatus: 'PENDING_ACTIVATION',
      awsAccountId: this.registry.accountId,
      certificateRegistrationTimestamp: now,
    };
    for (const listener of [...this.registeredListeners]) this.safely(() => listener(event));
  }

  private async insert(cert: ParsedCertificate, status: CertificateStatus, caCertificateId: string | null, mode: 'DEFAULT' | 'SNI_ONLY'): Promise<{ certificateArn: string; certificateId: string }> {
    const now = this.clock();
    const row: CertificateRow = {
      certificateId: cert.certificateId,
      certificatePem: cert.pem,
      status,
      caCertificateId,
      ownedBy: this.registry.accountId,
      certificateMode: mode,
      creationDate: now,
      lastModifiedDate: now,
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      customerVersion: 1,
      generationId: randomUUID(),
    };
    const certificateArn = await this.registry.insertCertificate(row);
    return { certificateArn, certificateId: row.certificateId };
  }

  /** AWS: setAsActive (deprecated) wins; else the status given; else INACTIVE. */
  private initialStatus(status: CertificateStatus | undefined, setAsActive: boolean | undefined): CertificateStatus {
    if (setAsActive === true) return 'ACTIVE';
    if (status === undefined) return 'INACTIVE';
    if (!(CERTIFICATE_STATUSES as readonly string[]).includes(status)) {
      throw invalidRequest(`1 validation error detected: Value '${status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [${CERTIFICATE_STATUSES.join(', ')}]`);
    }
    return status;
  }

  private refreshTrust(notify: boolean): void {
    this.activePems = [...this.cas.values()].filter((row) => row.status === 'ACTIVE').map((row) => row.certificatePem);
    if (!notify) return;
    for (const listener of [...this.trustListeners]) this.safely(listener);
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.onError(err);
    }
  }

  private async getCa(certificateId: string): Promise<CaCertificateRow> {
    const id = checkCertificateId(certificateId);
    const row = await this.store.caCertificates.get(id);
    if (!row) throw this.caNotFound(id);
    return row;
  }

  private caNotFound(certificateId: string): TopicdError {
    return notFound(`The CA certificate ${certificateId} does not exist.`);
  }
}
