/**
 * @module transports/revocations
 * Registry changes reach live connections: a certificate that leaves ACTIVE, or a deleted access key,
 * cuts its connections at once; a policy, attachment or thing change is swept within a second (each
 * connection asked whether its iot:Connect still holds).
 */
import { principalKey } from '../auth/authorizer.js';
import type { AccessKeyRegistryApi } from '../registry/access-keys.js';
import type { Registry } from '../registry/registry.js';
import { ConnectionIndex } from './connection-index.js';

export function watchRevocations(registry: Registry, accessKeys: AccessKeyRegistryApi): ConnectionIndex {
  const connections = new ConnectionIndex();
  registry.onCertificateChange(({ certificateId, status }) => {
    if (status !== 'ACTIVE') connections.closeAll(certificateId, 'certificate-inactive');
  });
  accessKeys.onChange(({ accessKeyId, deleted }) => {
    if (deleted) connections.closeAll(principalKey({ kind: 'access-key', accessKeyId, sourceIp: '' }), 'access-key-deleted');
  });
  registry.authorization.onChange(() => connections.scheduleSweep());
  return connections;
}
