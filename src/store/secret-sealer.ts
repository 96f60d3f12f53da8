/**
 * @module store/secret-sealer
 * Seals the secrets a Store keeps (access keys' secret access keys) with AES-256-GCM under a key held in
 * a 0600 file beside the database, so a copy of the database alone gives none of them away. Backends
 * seal on write and open on read: the Store port hands out plaintext, as SigV4 needs it.
 *
 * Design note: why encrypt rather than hash. SigV4 verification recomputes the caller's HMAC chain from
 * the secret itself, so topicd must be able to recover it; a hash would not do. Each sealed value is
 * bound to its row (the access key id as additional data), so a sealed secret moved to another row
 * does not open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writePrivateFile, keepPrivate } from '../config/private-files.js';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Names the format, so a later one can be told apart. */
const PREFIX = 'gcm1:';

export class SecretSealer {
  private constructor(private readonly key: Buffer) {}

  /**
   * The key in `path` (base64 of 32 bytes), made on the first start when `mayCreate` (the database holds
   * nothing sealed yet); a missing key that sealed secrets need is an error, never silently replaced.
   */
  static loadOrCreate(path: string, mayCreate: boolean): SecretSealer {
    let text: string | undefined;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text === undefined) {
      if (!mayCreate) {
        throw new Error(`${path} is missing, and the database holds access key secrets sealed with it: restore the file (or remove the database to start afresh)`);
      }
      const key = randomBytes(KEY_BYTES);
      writePrivateFile(path, `${key.toString('base64')}\n`);
      return new SecretSealer(key);
    }
    keepPrivate(path);
    const key = Buffer.from(text.trim(), 'base64');
    if (key.length !== KEY_BYTES) throw new Error(`${path} does not hold a ${KEY_BYTES}-byte key`);
    return new SecretSealer(key);
  }

  /** `plain` sealed and bound to `context` (the row's key): `gcm1:` and base64 of iv, tag and ciphertext. */
  seal(plain: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  /** The plaintext of a sealed value; throws when it was sealed under another key or context, or altered. */
  open(sealed: string, context: string): string {
    if (!sealed.startsWith(PREFIX)) throw new Error(`a sealed secret of an unknown format (for ${context})`);
    const bytes = Buffer.from(sealed.slice(PREFIX.length), 'base64');
    if (bytes.length < IV_BYTES + TAG_BYTES) throw new Error(`a sealed secret too short to open (for ${context})`);
    const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch (err) {
      throw new Error(`the secret of ${context} does not open with this secrets key (another data dir's key, or an altered row)`, { cause: err });
    }
  }
}
