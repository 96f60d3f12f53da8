/**
 * @module config/private-files
 * Files only topicd's own user may read (mode 0600): the database and its WAL, the keys, the
 * credentials, runtime.json. Their mode is set on the file itself, never left to the data dir's mode or
 * the process umask, so a data dir that already existed as 0755 exposes nothing (issue 10, defect 6).
 *
 * Design note: why not a process umask. startTopicd also runs inside other processes (the tests, an
 * embedding application): a umask is process-wide, would change the mode of every file they create
 * (the CLI's device certificates, their own files) and races with anything else that sets it. A mode
 * on each file is local and is checked at every start, so files an older topicd left looser get fixed.
 */
import { chmodSync, closeSync, openSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

export const PRIVATE_FILE_MODE = 0o600;

/** Sets an existing file to 0600; a missing file stays missing. */
export function keepPrivate(path: string): void {
  try {
    chmodSync(path, PRIVATE_FILE_MODE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Creates the file empty and 0600 when it does not exist, and sets it to 0600 when it does. */
export function ensurePrivateFile(path: string): void {
  closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
  chmodSync(path, PRIVATE_FILE_MODE);
}

/**
 * Writes a private file through a new 0600 file renamed over the old one: readers see the old content or
 * the new, and the data is never readable through an old file's looser mode.
 */
export function writePrivateFile(path: string, data: string | Buffer): void {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, data, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
    renameSync(temp, path);
  } catch (err) {
    try { unlinkSync(temp); } catch { /* never made, or renamed already */ }
    throw err;
  }
}
