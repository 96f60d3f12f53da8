/**
 * @module cli/thing-create
 * `topicd thing create`, the one-command device setup: a thing, an ACTIVE key pair and certificate
 * attached to it with a policy, and the three files the AWS samples expect (device.pem.crt,
 * private.pem.key, root-CA.pem). The private key is made here and never crosses the API.
 *
 * The folder is kept out of git: README's first device lands in the checkout (`./my-device`, so
 * `npx topicd` works from inside it), and a private key must never be one `git add .` away from a
 * commit. A folder this command makes gets a `.gitignore` of `*`; an existing folder gets the key's
 * name added to its `.gitignore` unless that already ignores it.
 */
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { deviceKeyAndCsr } from '../pki/device-key.js';
import { DATA_FILES, controlClient, type GlobalOptions } from './context.js';
import type { ControlClient } from './control-client.js';
import {
  DEFAULT_THING_POLICY, DEFAULT_THING_POLICY_DOCUMENT, DEVICE_CA_FILE, DEVICE_CERT_FILE, DEVICE_GITIGNORE_FILE, DEVICE_KEY_FILE,
  type CreateOptions,
} from './device-setup.js';
import { CliError, ControlError } from './errors.js';
import { printJson, shellQuote } from './output.js';

/** Creates the policy unless it exists (a concurrent creator's ResourceAlreadyExists is as good). */
async function ensurePolicy(client: ControlClient, policyName: string, document: string): Promise<void> {
  try {
    await client.createPolicy(policyName, document);
  } catch (err) {
    if (!(err instanceof ControlError && err.type === 'ResourceAlreadyExistsException')) throw err;
  }
}

export async function createThing(name: string, options: CreateOptions, globals: GlobalOptions): Promise<void> {
  const { client, context } = await controlClient(globals);
  const outDir = options.out;
  const files: { certificate: string; privateKey: string; rootCA: string; gitignore?: string } = {
    certificate: join(outDir, DEVICE_CERT_FILE),
    privateKey: join(outDir, DEVICE_KEY_FILE),
    rootCA: join(outDir, DEVICE_CA_FILE),
  };
  // Check everything local before the first API call, so a refusal leaves nothing half made.
  if (!options.force) {
    const existing = [files.certificate, files.privateKey, files.rootCA].filter((f) => existsSync(f));
    if (existing.length > 0) throw new CliError(`${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''} (use --force to overwrite)`);
  }
  const caSource = resolve(options.rootCa ?? join(context.dataDir, DATA_FILES.rootCa));
  let rootCaPem: string;
  try {
    rootCaPem = readFileSync(caSource, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new CliError(`cannot read the root CA ${caSource}: ${why} (give the server's root-CA.pem with --root-ca)`);
  }
  const madeFolder = !existsSync(outDir);
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (err) {
    throw new CliError(`cannot create ${outDir}: ${(err as Error).message}`);
  }

  const thing = await client.createThing(name);
  // The key is made here and never crosses the API; the certificate names the thing (CN), which
  // the default policy reads.
  const { privateKeyPem, csrPem } = await deviceKeyAndCsr(name);
  const created = { ...(await client.createCertificateFromCsr(csrPem, true)), keyPair: { PrivateKey: privateKeyPem } };
  await client.attachThingPrincipal(name, created.certificateArn);
  const policyName = options.policy ?? DEFAULT_THING_POLICY;
  if (options.policy === undefined) await ensurePolicy(client, DEFAULT_THING_POLICY, DEFAULT_THING_POLICY_DOCUMENT);
  await client.attachPolicy(policyName, created.certificateArn);

  try {
    writeFileSync(files.certificate, created.certificatePem);
    writeFileSync(files.privateKey, created.keyPair.PrivateKey, { mode: 0o600 });
    chmodSync(files.privateKey, 0o600); // mode applies only when the file is new (--force)
    writeFileSync(files.rootCA, rootCaPem);
    files.gitignore = keepOutOfGit(outDir, madeFolder);
  } catch (err) {
    throw new CliError(`thing ${name} and certificate ${created.certificateId} were created, but writing to ${outDir} failed: ${(err as Error).message}`);
  }

  const endpoint = context.runtime?.endpoint ?? (await client.describeEndpoint('iot:Data-ATS')).endpointAddress;
  const httpsPort = context.runtime?.httpsPort ?? 8443;
  const url = `https://${endpoint}:${httpsPort}/topics/things/${name}/hello?qos=1`;
  const curl = ['curl', '--tlsv1.2', '--cacert', files.rootCA, '--cert', files.certificate, '--key', files.privateKey,
    '--request', 'POST', '--data', '{ "message": "Hello, world" }', url].map(shellQuote).join(' ');

  const subCommand = ['npx', 'topicd', 'sub', `things/${name}/#`, '--certs', outDir,
    ...(context.dataDir === resolve('data') ? [] : ['--data-dir', context.dataDir])];

  if (options.json) {
    return printJson({
      thingName: thing.thingName, thingArn: thing.thingArn, thingId: thing.thingId,
      certificateId: created.certificateId, certificateArn: created.certificateArn, policyName, files, curl,
    });
  }
  process.stdout.write([
    `created thing ${thing.thingName}`,
    `  certificate id   ${created.certificateId}`,
    `  certificate arn  ${created.certificateArn}   (ACTIVE, attached to ${thing.thingName})`,
    `  policy           ${policyName}${options.policy === undefined ? `   (connect as ${name}; publish, subscribe, receive under things/${name}/)` : ''}`,
    `  certificate      ${files.certificate}`,
    `  private key      ${files.privateKey}   (mode 0600)`,
    `  root CA          ${files.rootCA}`,
    ...(files.gitignore === undefined ? [] : [`  .gitignore       ${files.gitignore}   (keeps the private key out of git)`]),
    '',
    'Publish a message over HTTPS:',
    `  ${curl}`,
    `Watch the thing's messages (in another terminal):`,
    `  ${subCommand.map(shellQuote).join(' ')}`,
    '',
  ].join('\n'));
}

/**
 * Makes sure git ignores the private key written to `dir`; returns the .gitignore it wrote or
 * extended, undefined when one already ignored the key. Git reads `*` and the key's name here as
 * patterns matching the key (with or without a leading slash).
 */
function keepOutOfGit(dir: string, madeFolder: boolean): string | undefined {
  const path = join(dir, DEVICE_GITIGNORE_FILE);
  if (madeFolder || !existsSync(path)) {
    // A folder of our own is ignored whole (the .gitignore too: the folder never shows in git status).
    const body = madeFolder ? '*' : DEVICE_KEY_FILE;
    writeFileSync(path, `# Written by \`topicd thing create\`: a device's private key stays out of git.\n${body}\n`);
    return path;
  }
  const lines = readFileSync(path, 'utf8').split(/\r?\n/).map((l) => l.trim());
  if (lines.some((l) => l === '*' || l === DEVICE_KEY_FILE || l === `/${DEVICE_KEY_FILE}`)) return undefined;
  const text = readFileSync(path, 'utf8');
  appendFileSync(path, `${text === '' || text.endsWith('\n') ? '' : '\n'}# Added by \`topicd thing create\`: the device's private key.\n${DEVICE_KEY_FILE}\n`);
  return path;
}
