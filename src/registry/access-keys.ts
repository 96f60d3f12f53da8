/**
 * @module registry/access-keys
 * The identity topicd itself needs on the first start: the AWS account id its ARNs carry, and the admin
 * access key that signs control-plane requests (SigV4), written to DATA/credentials as an AWS
 * shared-credentials file so the AWS CLI and SDKs can use it as is. Also the other access keys
 * (AccessKeyRegistry: create, list, delete, a topicd extension of the control plane), which tells its
 * listeners of each deletion so the holders of live connections can drop that key at once.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { invalidRequest, notFound } from '../errors.js';
import type { AccessKeyRow, AccessKeyStore, Store } from '../store/store.js';
import { CREDENTIALS_FILE } from '../config/data-files.js';
import { keepPrivate, writePrivateFile } from '../config/private-files.js';

export { CREDENTIALS_FILE };
const META_ACCOUNT_ID = 'accountId';
const META_ADMIN_KEY = 'adminAccessKeyId';
const ACCESS_KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** AWS shape: `AKIA` and 16 upper-case letters and digits. */
function newAccessKeyId(): string {
  let id = 'AKIA';
  for (let i = 0; i < 16; i++) id += ACCESS_KEY_ALPHABET[randomInt(ACCESS_KEY_ALPHABET.length)];
  return id;
}

/** AWS shape: 40 characters of base64 (30 random bytes encode to exactly 40). */
const newSecretAccessKey = (): string => randomBytes(30).toString('base64');

function credentialsText(accessKeyId: string, secretAccessKey: string): string {
  return `[default]\naws_access_key_id = ${accessKeyId}\naws_secret_access_key = ${secretAccessKey}\n`;
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The admin access key: made and stored on the first call, the stored one afterwards. DATA/credentials
 * is (re)written, mode 0600, when it is missing or no longer holds that key.
 */
export async function ensureAdminCredentials(store: Store, dataDir: string): Promise<{ accessKeyId: string; secretAccessKey: string; path: string }> {
  const adminId = await store.meta.get(META_ADMIN_KEY);
  let key = adminId === undefined ? undefined : await store.accessKeys.get(adminId);
  if (!key) {
    key = { accessKeyId: newAccessKeyId(), secretAccessKey: newSecretAccessKey(), createdAt: Date.now(), isAdmin: true };
    await store.accessKeys.insert(key);
    await store.meta.set(META_ADMIN_KEY, key.accessKeyId);
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, CREDENTIALS_FILE);
  const text = credentialsText(key.accessKeyId, key.secretAccessKey);
  // A new file renamed over the old: the secret is never readable through an old file's looser mode.
  if (readIfExists(path) !== text) writePrivateFile(path, text);
  else keepPrivate(path);
  return { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, path };
}

/** The account id in ARNs: the configured one, else the one saved at the first start, else a new one (saved). */
export async function accountIdFor(store: Store, configured?: string): Promise<string> {
  if (configured !== undefined) {
    if (!/^\d{12}$/.test(configured)) throw invalidRequest(`account id must be 12 digits, got "${configured}"`);
    return configured;
  }
  const saved = await store.meta.get(META_ACCOUNT_ID);
  if (saved !== undefined) return saved;
  // A leading zero is valid in AWS, but tools that read the id as a number would drop it.
  let accountId = String(randomInt(1, 10));
  for (let i = 1; i < 12; i++) accountId += String(randomInt(10));
  await store.meta.set(META_ACCOUNT_ID, accountId);
  return accountId;
}

/** What a listing shows of a key: never its secret. */
export interface AccessKeySummary {
  accessKeyId: string;
  accessKeyArn: string;
  /** Epoch seconds, as restJson sends timestamps. */
  creationDate: number;
  isAdmin: boolean;
}

export interface CreatedAccessKey extends AccessKeySummary {
  /** Shown once, at creation. */
  secretAccessKey: string;
}

export interface AccessKeyRegistryApi {
  create(): Promise<CreatedAccessKey>;
  list(): Promise<AccessKeySummary[]>;
  /** Unknown keys are ResourceNotFoundException; the admin key is InvalidRequestException. */
  delete(accessKeyId: string): Promise<void>;
  /** Called after each key is made or deleted; returns the unsubscribe function. */
  onChange(listener: (change: { accessKeyId: string; deleted: boolean }) => void): () => void;
}

/** IAM: an access key id is 16..128 word characters. */
const ACCESS_KEY_ID = /^\w{16,128}$/;

export class AccessKeyRegistry implements AccessKeyRegistryApi {
  private readonly listeners = new Set<(change: { accessKeyId: string; deleted: boolean }) => void>();

  constructor(private readonly options: {
    keys: AccessKeyStore;
    /** The key's ARN, as the registry makes it (RegistryApi.accessKeyArn). */
    arn: (accessKeyId: string) => string;
    /** Epoch milliseconds. */
    clock?: () => number;
  }) {}

  async create(): Promise<CreatedAccessKey> {
    const key: AccessKeyRow = {
      accessKeyId: newAccessKeyId(), secretAccessKey: newSecretAccessKey(), createdAt: (this.options.clock ?? Date.now)(), isAdmin: false,
    };
    await this.options.keys.insert(key);
    this.emit(key.accessKeyId, false);
    return { ...this.summary(key), secretAccessKey: key.secretAccessKey };
  }

  async list(): Promise<AccessKeySummary[]> {
    return (await this.options.keys.list()).map((key) => this.summary(key));
  }

  async delete(accessKeyId: string): Promise<void> {
    if (!ACCESS_KEY_ID.test(accessKeyId)) {
      throw invalidRequest(`1 validation error detected: Value '${accessKeyId}' at 'accessKeyId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w]{16,128}`);
    }
    const key = await this.options.keys.get(accessKeyId);
    if (!key) throw notFound(`The access key ${accessKeyId} does not exist.`);
    // The admin key is what DATA/credentials holds: deleting it would lock every tool out.
    if (key.isAdmin) throw invalidRequest(`The access key ${accessKeyId} is topicd's admin key (DATA/credentials); it cannot be deleted through the API.`);
    if (!(await this.options.keys.delete(accessKeyId))) throw notFound(`The access key ${accessKeyId} does not exist.`);
    this.emit(accessKeyId, true);
  }

  /** Another node of the cluster deleted the key: its connections here go too. */
  deletedElsewhere(accessKeyId: string): void {
    this.emit(accessKeyId, true);
  }

  onChange(listener: (change: { accessKeyId: string; deleted: boolean }) => void): () => void {
    const entry = (change: { accessKeyId: string; deleted: boolean }): void => listener(change);
    this.listeners.add(entry);
    return () => { this.listeners.delete(entry); };
  }

  private emit(accessKeyId: string, deleted: boolean): void {
    for (const listener of [...this.listeners]) {
      try {
        listener({ accessKeyId, deleted });
      } catch (err) {
        // The write is done; a listener's failure must not fail the caller's request.
        process.emitWarning(`access key listener failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
      }
    }
  }

  private summary(key: AccessKeyRow): AccessKeySummary {
    return { accessKeyId: key.accessKeyId, accessKeyArn: this.options.arn(key.accessKeyId), creationDate: key.createdAt / 1000, isAdmin: key.isAdmin };
  }
}
