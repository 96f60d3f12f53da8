/**
 * @module cli/cert-commands
 * `topicd cert list|describe|set-status|register` over the control-plane API (ListCertificates,
 * DescribeCertificate, UpdateCertificate, RegisterCertificate and RegisterCertificateWithoutCA).
 */
import { Argument, InvalidArgumentError, type Command } from 'commander';
import { readPemFile } from './ca-commands.js';
import { controlClient, type GlobalOptions } from './context.js';
import { CliError } from './errors.js';
import { formatTable, isoDate, printJson } from './output.js';

/** The statuses UpdateCertificate accepts from a user (AWS rejects PENDING_* and REGISTER_INACTIVE is deprecated). */
export const SETTABLE_STATUSES = ['ACTIVE', 'INACTIVE', 'REVOKED'] as const;

function parseStatus(value: string): string {
  const status = value.toUpperCase();
  if (!(SETTABLE_STATUSES as readonly string[]).includes(status)) {
    throw new InvalidArgumentError(`must be one of ${SETTABLE_STATUSES.join(', ')}`);
  }
  return status;
}

export function registerCertCommands(program: Command): void {
  const cert = program.command('cert').description('list, describe and activate or deactivate certificates');

  cert.command('list')
    .description('list every certificate (all pages)')
    .option('--json', 'print {"certificates": [...]} as JSON, like `aws iot list-certificates`')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { client } = await controlClient(command.optsWithGlobals<GlobalOptions>());
      const certificates = await client.listAllCertificates();
      if (options.json) return printJson({ certificates });
      if (certificates.length === 0) return void process.stdout.write('no certificates\n');
      const rows = certificates.map((c) => [c.certificateId, c.status, isoDate(c.creationDate)]);
      process.stdout.write(`${formatTable(['CERTIFICATE ID', 'STATUS', 'CREATED'], rows)}\n`);
    });

  cert.command('describe')
    .description('print a certificate as JSON (DescribeCertificate\'s certificateDescription)')
    .argument('<certificate-id>', 'certificate id (64 hex characters)')
    .action(async (id: string, _options: unknown, command: Command) => {
      const { client } = await controlClient(command.optsWithGlobals<GlobalOptions>());
      printJson({ certificateDescription: await client.describeCertificate(id) });
    });

  cert.command('set-status')
    .description('set a certificate\'s status; connections of a certificate that stops being ACTIVE are closed')
    .argument('<certificate-id>', 'certificate id (64 hex characters)')
    .addArgument(new Argument('<status>', SETTABLE_STATUSES.join(' | ')).argParser(parseStatus))
    .action(async (id: string, status: string, _options: unknown, command: Command) => {
      const { client } = await controlClient(command.optsWithGlobals<GlobalOptions>());
      await client.updateCertificate(id, status);
      process.stdout.write(`certificate ${id} is now ${status}\n`);
    });

  cert.command('register')
    .description('register a certificate made by your own CA (RegisterCertificate); prints {"certificateArn", "certificateId"}')
    .requiredOption('--cert <file>', 'the device certificate (PEM)')
    .option('--ca-cert <file>', 'its CA certificate (PEM), registered with `topicd ca register`; found among the registered CAs when absent')
    .option('--without-ca', 'register it without a CA (RegisterCertificateWithoutCA, SNI_ONLY): its issuer need not be known')
    .option('--active', 'register it ACTIVE (default: INACTIVE)')
    .action(async (options: { cert: string; caCert?: string; withoutCa?: boolean; active?: boolean }, command: Command) => {
      if (options.withoutCa && options.caCert !== undefined) throw new CliError('--without-ca and --ca-cert exclude each other');
      const certificatePem = readPemFile(options.cert, '--cert');
      const caCertificatePem = options.caCert === undefined ? undefined : readPemFile(options.caCert, '--ca-cert');
      const status = options.active ? 'ACTIVE' : 'INACTIVE';
      const { client } = await controlClient(command.optsWithGlobals<GlobalOptions>());
      printJson(options.withoutCa
        ? await client.registerCertificateWithoutCa(certificatePem, status)
        : await client.registerCertificate(certificatePem, caCertificatePem, status));
    });
}
