/**
 * @module cli/device-setup
 * What `topicd thing create` sets up, named once: the files it writes to a device folder (the three
 * AWS's samples expect, which `topicd sub|pub` read) and the default thing policy. Constants and
 * types only, so the command definitions load nothing to name them.
 */

export const DEVICE_CERT_FILE = 'device.pem.crt';
export const DEVICE_KEY_FILE = 'private.pem.key';
export const DEVICE_CA_FILE = 'root-CA.pem';
/** Written by `thing create` into a folder it made: keeps the folder (and its private key) out of git. */
export const DEVICE_GITIGNORE_FILE = '.gitignore';

/** `topicd thing create`'s options. */
export interface CreateOptions {
  out: string;
  force?: boolean;
  rootCa?: string;
  policy?: string;
  json?: boolean;
}

/** The default thing policy, shared with the console's create-thing page (registry/default-thing-policy.ts). */
export { DEFAULT_THING_POLICY, DEFAULT_THING_POLICY_DOCUMENT } from '../registry/default-thing-policy.js';
