/**
 * @module cli/thing-commands
 * `topicd thing create|list|describe|delete` over the control-plane API. `create` is the one-command
 * device setup (cli/thing-create, loaded when it runs). Writes go through the API only.
 */
import type { Command } from 'commander';
import { controlClient, type GlobalOptions } from './context.js';
import { formatTable, printJson } from './output.js';
import { DEFAULT_THING_POLICY, type CreateOptions } from './device-setup.js';

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
      // Loaded on use: making the key and CSR needs the X.509 library, the heaviest import of the CLI.
      const { createThing } = await import('./thing-create.js');
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
