/**
 * @module cli/policy-commands
 * `topicd policy create|get|list|attach|detach|versions|test` over the control-plane API (CreatePolicy,
 * GetPolicy, ListPolicies, AttachPolicy, DetachPolicy, ListPolicyVersions, TestAuthorization).
 * `test` asks topicd's own policy engine, through TestAuthorization, and prints the decision with the
 * statement that made it. Writes go through the API only.
 */
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { clientArn, topicArn, topicFilterArn } from '../auth/policy/arns.js';
import type { ControlClient } from './control-client.js';
import { controlClient, type GlobalOptions } from './context.js';
import { CliError } from './errors.js';
import { formatTable, isoDate, printJson } from './output.js';

const CERTIFICATE_ID = /^[0-9a-fA-F]{64}$/;
const CERTIFICATE_ARN = /^arn:aws[a-z-]*:iot:([a-z0-9-]+):(\d{12}):cert\/[0-9a-fA-F]{64}$/;

/** `--action` -> TestAuthorization's actionType and the resource ARN its name goes in. */
const ACTIONS = {
  publish: { actionType: 'PUBLISH', arn: topicArn },
  subscribe: { actionType: 'SUBSCRIBE', arn: topicFilterArn },
  receive: { actionType: 'RECEIVE', arn: topicArn },
  connect: { actionType: 'CONNECT', arn: clientArn },
} as const;
type ActionName = keyof typeof ACTIONS;

/** `--document` is JSON text when it looks like an object, else a file to read. */
function readDocument(value: string): string {
  if (value.trimStart().startsWith('{')) return value;
  try {
    return readFileSync(value, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new CliError(`cannot read the policy document ${value}: ${why} (give a file or the JSON itself)`);
  }
}

/** A certificate id or ARN -> its ARN (an id is looked up, which also tells if it exists). */
async function certificateArn(client: ControlClient, cert: string): Promise<string> {
  if (CERTIFICATE_ARN.test(cert)) return cert;
  if (CERTIFICATE_ID.test(cert)) return (await client.describeCertificate(cert.toLowerCase())).certificateArn;
  throw new CliError(`--cert must be a certificate id (64 hex characters) or a certificate ARN, got "${cert}"`);
}

export function registerPolicyCommands(program: Command): void {
  const policy = program.command('policy').description('create, list, attach and test AWS IoT policies');

  policy.command('create')
    .description('create a policy (CreatePolicy); the document is validated as AWS IoT does')
    .argument('<name>', 'policy name (1-128 of a-z A-Z 0-9 _ + = , . @ -)')
    .requiredOption('--document <file|json>', 'the policy document: a file, or the JSON itself')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, options: { document: string; json?: boolean }, command: Command) => {
      const document = readDocument(options.document);
      const { client } = await controlClient(command.optsWithGlobals<GlobalOptions>());
      const created = await client.createPolicy(name, document);
      if (options.json) return printJson(created);
      process.stdout.write(`created policy ${created.policyName} (version ${created.policyVersionId})\n  arn  ${created.policyArn}\n`);
    });

  policy.command('get')
    .description('print a policy as JSON (GetPolicy)')
    .argument('<name>', 'policy name')
    .action(async (name: string, _options: unknown, command: Command) => {
      const { client } = await controlClient(command.optsWithGlobals<GlobalOptions>());
      printJson(await client.getPolicy(name));
    });

  policy.command('list')
    .description('list every policy (all pages)')
    .option('--json', 'print {"policies": [...]} as JSON, like `aws iot list-policies`')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { client } = await controlClient(command.optsWithGlobals<GlobalOptions>());
      const policies = await client.listAllPolicies();
      if (options.json) return printJson({ policies });
      if (policies.length === 0) return void process.stdout.write('no policies\n');
      process.stdout.write(`${formatTable(['POLICY NAME', 'ARN'], policies.map((p) => [p.policyName, p.policyArn]))}\n`);
    });

  for (const [verb, past] of [['attach', 'attached to'], ['detach', 'detached from']] as const) {
    policy.command(verb)
      .description(`${verb} a policy ${verb === 'attach' ? 'to' : 'from'} a certificate (${verb === 'attach' ? 'AttachPolicy' : 'DetachPolicy'})`)
      .argument('<name>', 'policy name')
      .requiredOption('--cert <id|arn>', 'certificate id or ARN')
      .action(async (name: string, options: { cert: string }, command: Command) => {
        const { client } = await controlClient(command.optsWithGlobals<GlobalOptions>());
        const target = await certificateArn(client, options.cert);
        await (verb === 'attach' ? client.attachPolicy(name, target) : client.detachPolicy(name, target));
        process.stdout.write(`policy ${name} ${past} ${target}\n`);
      });
  }

  policy.command('versions')
    .description('list a policy\'s versions, newest first (ListPolicyVersions)')
    .argument('<name>', 'policy name')
    .option('--json', 'print {"policyVersions": [...]} as JSON')
    .action(async (name: string, options: { json?: boolean }, command: Command) => {
      const { client } = await controlClient(command.optsWithGlobals<GlobalOptions>());
      const policyVersions = await client.listPolicyVersions(name);
      if (options.json) return printJson({ policyVersions });
      const rows = policyVersions.map((v) => [v.versionId, v.isDefaultVersion ? 'yes' : '', isoDate(v.createDate)]);
      process.stdout.write(`${formatTable(['VERSION', 'DEFAULT', 'CREATED'], rows)}\n`);
    });

  policy.command('test')
    .description('decide one request with the certificate\'s policies (TestAuthorization) and show the statement that decided')
    .requiredOption('--cert <id|arn>', 'certificate id or ARN whose attached policies decide')
    .requiredOption('--client-id <id>', 'MQTT client id (thing policy variables need it to name the thing)')
    .addOption(new Option('--action <action>', 'what is asked').choices(Object.keys(ACTIONS)).makeOptionMandatory())
    .option('--resource <name>', 'topic (publish, receive), topic filter (subscribe) or client id (connect; default --client-id)')
    .option('--json', 'print TestAuthorization\'s authResults as JSON')
    .action(async (options: { cert: string; clientId: string; action: ActionName; resource?: string; json?: boolean }, command: Command) => {
      const action = ACTIONS[options.action];
      const name = options.resource ?? (options.action === 'connect' ? options.clientId : undefined);
      if (name === undefined) throw new CliError(`--resource is required for --action ${options.action}`);
      const { client } = await controlClient(command.optsWithGlobals<GlobalOptions>());
      const principal = await certificateArn(client, options.cert);
      const [, region = '', account = ''] = CERTIFICATE_ARN.exec(principal) ?? [];
      const resource = action.arn(region, account, name);
      const authResults = await client.testAuthorization({ principal, clientId: options.clientId, authInfos: [{ actionType: action.actionType, resources: [resource] }] });
      if (options.json) return printJson({ authResults });
      const result = authResults[0];
      if (!result) throw new CliError('TestAuthorization returned no result');
      const lines = [`${result.authDecision}  ${action.actionType.toLowerCase()} ${resource}`];
      const by = result.decidedBy;
      if (by) {
        lines.push(`  decided by  policy ${by.policyName}, statement ${by.statementIndex}${by.sid === undefined ? '' : ` (Sid ${by.sid})`}, effect ${by.effect}`);
      } else {
        const evaluated = [...(result.allowed?.policies ?? []), ...(result.denied?.implicitDeny?.policies ?? []), ...(result.denied?.explicitDeny?.policies ?? [])];
        lines.push(`  decided by  no statement allowed it (implicit deny); policies evaluated: ${evaluated.map((p) => p.policyName).join(', ') || 'none'}`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
