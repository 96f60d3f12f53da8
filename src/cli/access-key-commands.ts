/**
 * @module cli/access-key-commands
 * `topicd access-key create|list|delete` over topicd's /topicd/access-keys control-plane routes (a
 * topicd extension, see docs/control-plane.md). `create` prints the secret once; with --json it prints
 * the AWS CLI's `credential_process` JSON, so a profile can take the key as is.
 */
import type { Command } from 'commander';
import { controlClient, type GlobalOptions } from './context.js';
import { formatTable, isoDate, printJson } from './output.js';

interface AccessKeySummary {
  accessKeyId: string;
  accessKeyArn?: string;
  creationDate?: number;
  isAdmin?: boolean;
}

interface CreatedAccessKey extends AccessKeySummary {
  secretAccessKey: string;
}

const ROUTE = '/topicd/access-keys';

export function registerAccessKeyCommands(program: Command): void {
  const accessKey = program.command('access-key').description('create, list and delete access keys for the control plane and SigV4 WebSocket clients');

  accessKey.command('create')
    .description('create an access key and print its secret (shown this once)')
    .option('--json', 'print AWS CLI credential_process JSON: {"Version": 1, "AccessKeyId": ..., "SecretAccessKey": ...}')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { client } = await controlClient(command.optsWithGlobals<GlobalOptions>());
      const key = await client.request<CreatedAccessKey>('POST', ROUTE);
      if (options.json) return printJson({ Version: 1, AccessKeyId: key.accessKeyId, SecretAccessKey: key.secretAccessKey });
      process.stdout.write([
        `created access key ${key.accessKeyId}`,
        `  arn     ${key.accessKeyArn ?? '-'}`,
        '  secret  shown this once; keep it now',
        '',
        'For ~/.aws/credentials:',
        '[topicd]',
        `aws_access_key_id = ${key.accessKeyId}`,
        `aws_secret_access_key = ${key.secretAccessKey}`,
        '',
      ].join('\n'));
    });

  accessKey.command('list')
    .description('list access keys (ids and creation dates, never secrets)')
    .option('--json', 'print {"accessKeys": [...]} as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { client } = await controlClient(command.optsWithGlobals<GlobalOptions>());
      const { accessKeys = [] } = await client.request<{ accessKeys?: AccessKeySummary[] }>('GET', ROUTE);
      if (options.json) return printJson({ accessKeys });
      const rows = accessKeys.map((k) => [k.accessKeyId, isoDate(k.creationDate), k.isAdmin ? 'admin' : '-']);
      process.stdout.write(`${formatTable(['ACCESS KEY ID', 'CREATED', 'ROLE'], rows)}\n`);
    });

  accessKey.command('delete')
    .description('delete an access key; it stops working at once (the admin key cannot be deleted)')
    .argument('<access-key-id>', 'the key to delete')
    .action(async (accessKeyId: string, _options: unknown, command: Command) => {
      const { client } = await controlClient(command.optsWithGlobals<GlobalOptions>());
      await client.request('DELETE', `${ROUTE}/${encodeURIComponent(accessKeyId)}`);
      process.stdout.write(`deleted access key ${accessKeyId}\n`);
    });
}
