/**
 * @module registry/access-keys
 * The identity topicd itself needs on the first start: the AWS account id its ARNs carry, and the admin
 * access key that signs control-plane requests (SigV4), written to DATA/credentials as an AWS
 * shared-credentials file so the AWS CLI and SDKs can use it as is.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { invalidRequest } from '../errors.js';
import type { Store } from '../store/store.js';
import { CREDENTIALS_FILE } from '../config/data-files.js';

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
    key = { accessKeyId: newAccessKeyId(), secretAccessKey: newSecretAccessKey(), createdAt: Date.now() };
    await store.accessKeys.insert(key);
    await store.meta.set(META_ADMIN_KEY, key.accessKeyId);
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, CREDENTIALS_FILE);
  const text = credentialsText(key.accessKeyId, key.secretAccessKey);
  if (readIfExists(path) !== text) {
    // A new file renamed over the old: the secret is never readable through an old file's looser mode.
    const temp = `${path}.${process.pid}.tmp`;
    writeFileSync(temp, text, { mode: 0o600 });
    renameSync(temp, path);
  }
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
