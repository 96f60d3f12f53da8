/**
 * @module control/ca-operations
 * The bring-your-own-CA operations (reference §7; botocore `iot/2015-05-28/service-2.json`): the
 * registration code, CA certificates, and device certificates registered rather than issued. Routes
 * and member locations (path, query, body) are AWS's; the rules are the CA registry's
 * (registry/ca-registry.ts). Concatenated into OPERATIONS by control/operations.ts.
 */
import { invalidRequest } from '../errors.js';
import type { RegistrationConfig } from '../registry/ca-types.js';
import { CERTIFICATE_STATUSES } from '../store/store.js';
import {
  jsonBody, markerPaging, memberBoolean, memberString, pathLabel, queryBoolean, queryEnum, requiredMemberString,
  type JsonObject,
} from './input.js';
import type { Operation } from './operation.js';

const CA_STATUSES = ['ACTIVE', 'INACTIVE'] as const;
const AUTO_REGISTRATION_STATUSES = ['ENABLE', 'DISABLE'] as const;
const CERTIFICATE_MODES = ['DEFAULT', 'SNI_ONLY'] as const;

/** A body member restricted to an enum (certificateMode, status). */
function memberEnum<T extends string>(body: JsonObject, name: string, allowed: readonly T[]): T | undefined {
  const value = memberString(body, name);
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw invalidRequest(`1 validation error detected: Value '${value}' at '${name}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`);
  }
  return value as T;
}

/** AWS's RegistrationConfig structure: {templateBody, roleArn, templateName}, all strings. */
function registrationConfig(body: JsonObject): RegistrationConfig | undefined {
  const value = body.registrationConfig;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidRequest("Value at 'registrationConfig' must be a structure.");
  const members = value as JsonObject;
  const config: RegistrationConfig = {};
  const templateBody = memberString(members, 'templateBody');
  const roleArn = memberString(members, 'roleArn');
  const templateName = memberString(members, 'templateName');
  if (templateBody !== undefined) config.templateBody = templateBody;
  if (roleArn !== undefined) config.roleArn = roleArn;
  if (templateName !== undefined) config.templateName = templateName;
  return config;
}

export const CA_OPERATIONS: readonly Operation[] = [
  {
    name: 'GetRegistrationCode',
    method: 'GET',
    url: '/registrationcode',
    async handle(ctx) {
      return ctx.caRegistry.getRegistrationCode();
    },
  },
  {
    name: 'RegisterCACertificate',
    method: 'POST',
    url: '/cacertificate',
    async handle(ctx, req) {
      const body = jsonBody(req.body);
      return ctx.caRegistry.registerCaCertificate({
        caCertificate: requiredMemberString(body, 'caCertificate'),
        verificationCertificate: memberString(body, 'verificationCertificate'),
        certificateMode: memberEnum(body, 'certificateMode', CERTIFICATE_MODES),
        registrationConfig: registrationConfig(body),
        setAsActive: queryBoolean(req.query, 'setAsActive'),
        allowAutoRegistration: queryBoolean(req.query, 'allowAutoRegistration'),
      });
    },
  },
  {
    name: 'DescribeCACertificate',
    method: 'GET',
    url: '/cacertificate/:certificateId',
    async handle(ctx, req) {
      return ctx.caRegistry.describeCaCertificate(pathLabel(req.params, 'certificateId'));
    },
  },
  {
    name: 'ListCACertificates',
    method: 'GET',
    url: '/cacertificates',
    async handle(ctx, req) {
      const page = await ctx.caRegistry.listCaCertificates(markerPaging(req.query));
      return { certificates: page.certificates, nextMarker: page.nextMarker };
    },
  },
  {
    name: 'UpdateCACertificate',
    method: 'PUT',
    url: '/cacertificate/:certificateId',
    async handle(ctx, req) {
      const body = jsonBody(req.body);
      await ctx.caRegistry.updateCaCertificate({
        certificateId: pathLabel(req.params, 'certificateId'),
        newStatus: queryEnum(req.query, 'newStatus', CA_STATUSES),
        newAutoRegistrationStatus: queryEnum(req.query, 'newAutoRegistrationStatus', AUTO_REGISTRATION_STATUSES),
        registrationConfig: registrationConfig(body),
        removeAutoRegistration: memberBoolean(body, 'removeAutoRegistration'),
      });
      return undefined;
    },
  },
  {
    name: 'DeleteCACertificate',
    method: 'DELETE',
    url: '/cacertificate/:certificateId',
    async handle(ctx, req) {
      await ctx.caRegistry.deleteCaCertificate(pathLabel(req.params, 'certificateId'));
      return {};
    },
  },
  {
    name: 'RegisterCertificate',
    method: 'POST',
    url: '/certificate/register',
    async handle(ctx, req) {
      const body = jsonBody(req.body);
      return ctx.caRegistry.registerCertificate({
        certificatePem: requiredMemberString(body, 'certificatePem'),
        caCertificatePem: memberString(body, 'caCertificatePem'),
        status: memberEnum(body, 'status', CERTIFICATE_STATUSES),
        setAsActive: queryBoolean(req.query, 'setAsActive'),
      });
    },
  },
  {
    name: 'RegisterCertificateWithoutCA',
    method: 'POST',
    url: '/certificate/register-no-ca',
    async handle(ctx, req) {
      const body = jsonBody(req.body);
      return ctx.caRegistry.registerCertificateWithoutCa(
        requiredMemberString(body, 'certificatePem'), memberEnum(body, 'status', CERTIFICATE_STATUSES));
    },
  },
  {
    name: 'ListCertificatesByCA',
    method: 'GET',
    url: '/certificates-by-ca/:caCertificateId',
    async handle(ctx, req) {
      const page = await ctx.caRegistry.listCertificatesByCa(pathLabel(req.params, 'caCertificateId'), markerPaging(req.query));
      return { certificates: page.certificates, nextMarker: page.nextMarker };
    },
  },
];
