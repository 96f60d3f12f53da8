/**
 * @module cli/ca-commands
 * `topicd ca register|list|set-status|registration-code`: bring your own CA over the control-plane API
 * (RegisterCACertificate, ListCACertificates, UpdateCACertificate, GetRegistrationCode). Also the one
 * reader of certificate files the CA and certificate commands share.
 */
import { readFileSync } from 'node:fs';
import { Argument, InvalidArgumentError, type Command } from 'commander';
import { controlClient, type GlobalOptions } from './context.js';
import { CliError } from './errors.js';
import { formatTable, isoDate, printJson } from './output.js';

const CA_STATUSES = ['ACTIVE', 'INACTIVE'] as const;

/** The text of a PEM file given to an option; a missing or unreadable file is one clear line. */
export function readPemFile(path: string, option: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${option} ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new CliError(`${option} ${path} is not a PEM certificate (no -----BEGIN CERTIFICATE-----)`);
  return text;
}

function parseCaStatus(value: string): string {
  const status = value.toUpperCase();
  if (!(CA_STATUSES as readonly string[]).includes(status)) throw new InvalidArgumentError(`must be one of ${CA_STATUSES.join(', ')}`);
  return status;
}

interface RegisterOptions {
  caCert: string;
  verificationCert?: string;
  setAsActive?: boolean;
  allowAutoRegistration?: boolean;
  sniOnly?: boolean;
}

export function registerCaCommands(program: Command): void {
  const ca = program.command('ca').description('bring your own CA: register CA certificates whose device certificates topicd then trusts');

  ca.command('registration-code')
    .description('print the account\'s registration code: the CN of the verification certificate `ca register` needs')
    .option('--json', 'print {"registrationCode": "..."} as JSON, like `aws iot get-registration-code`')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { client } = await controlClient(command.optsWithGlobals<GlobalOptions>());
      const out = await client.getRegistrationCode();
      if (options.json) return printJson(out);
      process.stdout.write(`${out.registrationCode}\n`);
    });

  ca.command('register')
    .description('register a CA certificate (RegisterCACertificate); prints {"certificateArn", "certificateId"}')
    .requiredOption('--ca-cert <file>', 'the CA certificate (PEM)')
    .option('--verification-cert <file>', 'a certificate with CN=<registration code> signed by the CA\'s key (needed unless --sni-only)')
    .option('--set-as-active', 'make the CA ACTIVE at once: topicd trusts its device certificates from then on')
    .option('--allow-auto-registration', 'register unknown device certificates of this CA as PENDING_ACTIVATION on their first connection')
    .option('--sni-only', 'certificateMode SNI_ONLY: no verification certificate')
    .action(async (options: RegisterOptions, command: Command) => {
      if (!options.sniOnly && options.verificationCert === undefined) {
        throw new CliError('--verification-cert is required (a certificate with CN=$(topicd ca registration-code) signed by the CA\'s key), unless --sni-only');
      }
      const caCertificate = readPemFile(options.caCert, '--ca-cert');
      const verificationCertificate = options.verificationCert === undefined ? undefined : readPemFile(options.verificationCert, '--verification-cert');
      const { client } = await controlClient(command.optsWithGlobals<GlobalOptions>());
      printJson(await client.registerCaCertificate({
        caCertificate,
        verificationCertificate,
        certificateMode: options.sniOnly ? 'SNI_ONLY' : undefined,
        setAsActive: options.setAsActive === true,
        allowAutoRegistration: options.allowAutoRegistration === true,
      }));
    });

  ca.command('list')
    .description('list every registered CA certificate (all pages)')
    .option('--json', 'print {"certificates": [...]} as JSON, like `aws iot list-ca-certificates`')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { client } = await controlClient(command.optsWithGlobals<GlobalOptions>());
      const certificates = await client.listAllCaCertificates();
      if (options.json) return printJson({ certificates });
      if (certificates.length === 0) return void process.stdout.write('no CA certificates\n');
      const rows = certificates.map((c) => [c.certificateId, c.status, isoDate(c.creationDate)]);
      process.stdout.write(`${formatTable(['CA CERTIFICATE ID', 'STATUS', 'CREATED'], rows)}\n`);
    });

  ca.command('set-status')
    .description('activate or deactivate a CA certificate; new connections of its devices are refused while it is INACTIVE')
    .argument('<ca-certificate-id>', 'CA certificate id (64 hex characters)')
    .addArgument(new Argument('<status>', CA_STATUSES.join(' | ')).argParser(parseCaStatus))
    .action(async (id: string, status: string, _options: unknown, command: Command) => {
      const { client } = await controlClient(command.optsWithGlobals<GlobalOptions>());
      await client.updateCaCertificate(id, status);
      process.stdout.write(`CA certificate ${id} is now ${status}\n`);
    });
}
