/**
 * @module cli/cert-commands
 * `topicd cert list|describe|set-status` over the control-plane API (ListCertificates,
 * DescribeCertificate, UpdateCertificate).
 */
import { Argument, InvalidArgumentError, type Command } from 'commander';
import { controlClient, type GlobalOptions } from './context.js';
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
}
