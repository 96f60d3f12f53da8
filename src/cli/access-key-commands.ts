/**
 * @module cli/access-key-commands
 * `topicd access-key create|list|delete|attach-policy|detach-policy` over topicd's /topicd/access-keys
 * control-plane routes (a topicd extension, see docs/control-plane.md) and AttachPolicy/DetachPolicy
 * with the key's ARN as target. `create` prints the secret once; with --json it prints
 * the AWS CLI's `credential_process` JSON, so a profile can take the key as is.
 */
import type { Command } from 'commander';
import { controlClient, type GlobalOptions } from './context.js';
import type { ControlClient } from './control-client.js';
import { CliError } from './errors.js';
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
  const accessKey = program.command('access-key').description('create, list and delete access keys for the control plane and SigV4 WebSocket clients, and attach policies to them');

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

  for (const [name, verb] of [['attach-policy', 'attach'], ['detach-policy', 'detach']] as const) {
    accessKey.command(name)
      .description(`${verb} a policy ${verb === 'attach' ? 'to' : 'from'} an access key (non-admin keys may do what their policies allow)`)
      .argument('<access-key-id>', 'the key')
      .argument('<policy-name>', 'the policy')
      .action(async (accessKeyId: string, policyName: string, _options: unknown, command: Command) => {
        const { client } = await controlClient(command.optsWithGlobals<GlobalOptions>());
        const arn = await accessKeyArn(client, accessKeyId);
        if (verb === 'attach') await client.attachPolicy(policyName, arn);
        else await client.detachPolicy(policyName, arn);
        process.stdout.write(`${verb === 'attach' ? 'attached' : 'detached'} policy ${policyName} ${verb === 'attach' ? 'to' : 'from'} ${arn}\n`);
      });
  }

  accessKey.command('delete')
    .description('delete an access key; it stops working at once (the admin key cannot be deleted)')
    .argument('<access-key-id>', 'the key to delete')
    .action(async (accessKeyId: string, _options: unknown, command: Command) => {
      const { client } = await controlClient(command.optsWithGlobals<GlobalOptions>());
      await client.request('DELETE', `${ROUTE}/${encodeURIComponent(accessKeyId)}`);
      process.stdout.write(`deleted access key ${accessKeyId}\n`);
    });
}

/** The key's ARN (the policy target), from the listing, so an unknown key is named as such. */
async function accessKeyArn(client: ControlClient, accessKeyId: string): Promise<string> {
  const { accessKeys = [] } = await client.request<{ accessKeys?: AccessKeySummary[] }>('GET', ROUTE);
  const arn = accessKeys.find((k) => k.accessKeyId === accessKeyId)?.accessKeyArn;
  if (arn === undefined) throw new CliError(`no access key ${accessKeyId} (topicd access-key list shows them)`);
  return arn;
}
