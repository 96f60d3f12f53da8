/**
 * @module cli/thing-commands
 * `topicd thing create|list|describe|delete` over the control-plane API. `create` is the one-command
 * device setup: a thing, an ACTIVE key pair and certificate attached to it, and the three files the
 * AWS samples expect (device.pem.crt, private.pem.key, root-CA.pem). Writes go through the API only.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { deviceKeyAndCsr } from '../pki/device-key.js';
import { DATA_FILES, controlClient, type GlobalOptions } from './context.js';
import type { ControlClient } from './control-client.js';
import { CliError, ControlError } from './errors.js';
import { formatTable, printJson, shellQuote } from './output.js';
import { DEFAULT_THING_POLICY, DEFAULT_THING_POLICY_DOCUMENT } from '../registry/default-thing-policy.js';

export const DEVICE_CERT_FILE = 'device.pem.crt';
export const DEVICE_KEY_FILE = 'private.pem.key';
export const DEVICE_CA_FILE = 'root-CA.pem';

interface CreateOptions {
  out: string;
  force?: boolean;
  rootCa?: string;
  policy?: string;
  json?: boolean;
}

export { DEFAULT_THING_POLICY, DEFAULT_THING_POLICY_DOCUMENT };

export function registerThingCommands(program: Command): void {
  const thing = program.command('thing').description('create, list, describe and delete things (devices)');

  thing.command('create')
    .description('create a thing with an ACTIVE certificate attached, and write its certificate files to --out')
    .argument('<name>', 'thing name (1-128 of a-z A-Z 0-9 : _ -)')
    .requiredOption('--out <dir>', 'directory for device.pem.crt, private.pem.key and root-CA.pem')
    .option('--force', 'overwrite existing files in --out')
    .option('--root-ca <file>', 'root CA to copy to --out (default: DATA/root-CA.pem)')
    .option('--policy <name>', `policy to attach to the certificate (default: ${DEFAULT_THING_POLICY}, made on first use)`)
    .option('--json', 'print the result as JSON')
    .action(async (name: string, options: CreateOptions, command: Command) => {
      await createThing(name, options, command.optsWithGlobals<GlobalOptions>());
    });

  thing.command('list')
    .description('list every thing (all pages)')
    .option('--json', 'print {"things": [...]} as JSON, like `aws iot list-things`')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { client } = await controlClient(command.optsWithGlobals<GlobalOptions>());
      const things = await client.listAllThings();
      if (options.json) return printJson({ things });
      if (things.length === 0) return void process.stdout.write('no things\n');
      const rows = things.map((t) => [t.thingName, t.thingTypeName ?? '-', String(t.version ?? '-'), t.thingArn ?? '-']);
      process.stdout.write(`${formatTable(['THING NAME', 'TYPE', 'VERSION', 'ARN'], rows)}\n`);
    });

  thing.command('describe')
    .description('print a thing as JSON (DescribeThing)')
    .argument('<name>', 'thing name')
    .action(async (name: string, _options: unknown, command: Command) => {
      const { client } = await controlClient(command.optsWithGlobals<GlobalOptions>());
      printJson(await client.describeThing(name));
    });

  thing.command('delete')
    .description('detach the thing\'s certificates, then delete the thing (the certificates are kept)')
    .argument('<name>', 'thing name')
    .action(async (name: string, _options: unknown, command: Command) => {
      const { client } = await controlClient(command.optsWithGlobals<GlobalOptions>());
      // AWS refuses to delete a thing with principals attached; users expect "delete" to just work.
      const principals = await client.listAllThingPrincipals(name);
      for (const principal of principals) {
        await client.detachThingPrincipal(name, principal);
        process.stdout.write(`detached ${principal} from ${name}\n`);
      }
      await client.deleteThing(name);
      process.stdout.write(`deleted thing ${name}\n`);
      if (principals.length > 0) {
        process.stdout.write('the certificates were kept; to stop one connecting: topicd cert set-status <certificate-id> INACTIVE\n');
      }
    });
}

/** Creates the policy unless it exists (a concurrent creator's ResourceAlreadyExists is as good). */
async function ensurePolicy(client: ControlClient, policyName: string, document: string): Promise<void> {
  try {
    await client.createPolicy(policyName, document);
  } catch (err) {
    if (!(err instanceof ControlError && err.type === 'ResourceAlreadyExistsException')) throw err;
  }
}

async function createThing(name: string, options: CreateOptions, globals: GlobalOptions): Promise<void> {
  const { client, context } = await controlClient(globals);
  const outDir = options.out;
  const files = {
    certificate: join(outDir, DEVICE_CERT_FILE),
    privateKey: join(outDir, DEVICE_KEY_FILE),
    rootCA: join(outDir, DEVICE_CA_FILE),
  };
  // Check everything local before the first API call, so a refusal leaves nothing half made.
  if (!options.force) {
    const existing = Object.values(files).filter((f) => existsSync(f));
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
    '',
    'Publish a message over HTTPS:',
    `  ${curl}`,
    `Watch the thing's messages (in another terminal):`,
    `  ${subCommand.map(shellQuote).join(' ')}`,
    '',
  ].join('\n'));
}
