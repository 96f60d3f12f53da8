/**
 * @module registry/registries
 * One factory for the registries topicd serves from: things, certificates and policies (Registry),
 * bring-your-own CAs (CaRegistry) and access keys (AccessKeyRegistry), each loaded from the Store,
 * plus the account id and the admin credentials made at the first start. It also keeps the
 * answer the authorizer asks synchronously on every SigV4 connection: whether an access key exists.
 */
import { PolicyAuthorizer, type PolicyAuthorizerOptions } from '../auth/policy-authorizer.js';
import type { CertificateAuthorityApi } from '../pki/types.js';
import type { Store } from '../store/store.js';
import { AccessKeyRegistry, accountIdFor, ensureAdminCredentials } from './access-keys.js';
import { CaRegistry } from './ca-registry.js';
import { Registry } from './registry.js';

export interface Registries {
  readonly accountId: string;
  readonly registry: Registry;
  readonly caRegistry: CaRegistry;
  readonly accessKeys: AccessKeyRegistry;
  readonly keys: AccessKeyDirectory;
  /** The admin key (DATA/credentials). */
  readonly credentials: { accessKeyId: string; secretAccessKey: string; path: string };
  /** The policy authorizer over these registries (the admin key is not subject to policies). */
  authorizer(onDenied?: PolicyAuthorizerOptions['onDenied']): PolicyAuthorizer;
}

export interface RegistriesOptions {
  store: Store;
  ca: CertificateAuthorityApi;
  dataDir: string;
  region: string;
  /** 12 digits; undefined: the one made at the first start. */
  accountId: string | undefined;
  onError: (err: unknown, context: string) => void;
}

/**
 * Which access keys exist, answered without a Store read: loaded once, told of every key the
 * registry makes or deletes, and refreshed by each secret lookup (which reads the Store).
 */
export class AccessKeyDirectory {
  private readonly ids = new Set<string>();

  constructor(private readonly store: Store) {}

  async load(): Promise<void> {
    for (const key of await this.store.accessKeys.list()) this.ids.add(key.accessKeyId);
  }

  /** Reloads the ids (another node made or deleted keys); resolves the ids that are gone. */
  async refresh(): Promise<string[]> {
    const now = new Set((await this.store.accessKeys.list()).map((k) => k.accessKeyId));
    const gone = [...this.ids].filter((id) => !now.has(id));
    this.ids.clear();
    for (const id of now) this.ids.add(id);
    return gone;
  }

  exists(accessKeyId: string): boolean {
    return this.ids.has(accessKeyId);
  }

  note(accessKeyId: string, exists: boolean): void {
    if (exists) this.ids.add(accessKeyId);
    else this.ids.delete(accessKeyId);
  }

  /** The key's secret, for SigV4 verification; undefined when there is no such key. */
  readonly lookupSecret = async (accessKeyId: string): Promise<string | undefined> => {
    const secret = (await this.store.accessKeys.get(accessKeyId))?.secretAccessKey;
    this.note(accessKeyId, secret !== undefined);
    return secret;
  };
}

export async function openRegistries(options: RegistriesOptions): Promise<Registries> {
  const { store, ca, onError } = options;
  const accountId = await accountIdFor(store, options.accountId);
  const credentials = await ensureAdminCredentials(store, options.dataDir);
  const registry = new Registry({ store, ca, accountId, region: options.region });
  await registry.init();
  const caRegistry = new CaRegistry({ store, registry, onError: (err) => onError(err, 'ca-registry') });
  await caRegistry.init();
  const accessKeys = new AccessKeyRegistry({ keys: store.accessKeys, arn: (id) => registry.accessKeyArn(id) });
  const keys = new AccessKeyDirectory(store);
  await keys.load();
  // A deleted key stops at once (no new signature verifies) and takes its policy attachments with it.
  accessKeys.onChange(({ accessKeyId, deleted }) => {
    keys.note(accessKeyId, !deleted);
    if (deleted) {
      registry.policies.detachAllOf(registry.accessKeyArn(accessKeyId)).catch((err: unknown) => onError(err, 'detach policies of a deleted access key'));
    }
  });
  const authorizer = (onDenied?: PolicyAuthorizerOptions['onDenied']): PolicyAuthorizer => new PolicyAuthorizer({
    source: registry.authorization, region: options.region, accountId,
    certificateActive: (id) => registry.certificateStatus(id) === 'ACTIVE',
    accessKeyExists: (id) => keys.exists(id),
    accessKeyIsAdmin: (id) => id === credentials.accessKeyId,
    ...(onDenied === undefined ? {} : { onDenied }),
  });
  return { accountId, registry, caRegistry, accessKeys, keys, credentials, authorizer };
}
