/**
 * @module cli/data-commands
 * `topicd shadow get|update|delete|list THING [--name SHADOW]` and `topicd retained get|list` over the
 * iot-data API of the running topicd (GetThingShadow, UpdateThingShadow, DeleteThingShadow,
 * ListNamedShadowsForThing, GetRetainedMessage, ListRetainedMessages), signed with the admin access key
 * as the AWS CLI would sign them (cli/data-client.ts). Documents print as JSON; errors are one line.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { commandContext, DATA_FILES, noRunningTopicd, readAccessKey, type GlobalOptions } from './context.js';
import type { DataClient } from './data-client.js';
import { CliError } from './errors.js';
import { formatTable, printJson } from './output.js';

/** The iot-data client of the running topicd in the data dir: its ALPN port (443 by default), SigV4 with the admin key. */
async function dataClient(options: GlobalOptions): Promise<DataClient> {
  const context = commandContext(options, true);
  const runtime = context.runtime;
  if (runtime === undefined) throw noRunningTopicd(context.dataDir);
  if (runtime.alpnPort === null) throw new CliError('the running topicd does not listen on its ALPN port (--alpn-port), where SigV4 callers reach the iot-data API');
  let ca: string;
  try {
    ca = readFileSync(join(context.dataDir, DATA_FILES.rootCa), 'utf8');
  } catch (err) {
    throw new CliError(`cannot read topicd's root CA in ${context.dataDir}: ${(err as Error).message}`);
  }
  const credentials = readAccessKey(join(context.dataDir, DATA_FILES.credentials));
  const { DataClient } = await import('./data-client.js');
  return new DataClient({ host: runtime.endpoint, port: runtime.alpnPort, region: context.region, credentials, ca });
}

const json = (body: Buffer): unknown => JSON.parse(body.toString('utf8'));

/** The update document: the argument itself, or stdin for `-`. */
function documentOf(arg: string): Buffer {
  const text = arg === '-' ? readFileSync(0, 'utf8') : arg;
  try {
    JSON.parse(text);
  } catch {
    throw new CliError('the update document must be JSON, e.g. \'{"state":{"desired":{"on":true}}}\'');
  }
  return Buffer.from(text);
}

export function registerShadowCommands(program: Command): void {
  const shadow = program.command('shadow').description('read, update and delete Device Shadows (iot-data API): the classic shadow, or --name SHADOW');
  const shadowPath = async (thing: string, command: Command): Promise<{ client: DataClient; path: string }> => {
    const { label } = await import('./data-client.js');
    return { client: await dataClient(command.optsWithGlobals<GlobalOptions>()), path: `/things/${label(thing)}/shadow` };
  };

  shadow.command('get').argument('<thing>', 'thing name').option('--name <shadow>', 'a named shadow (default: the classic shadow)')
    .description('print the shadow document (GetThingShadow)')
    .action(async (thing: string, options: { name?: string }, command: Command) => {
      const { client, path } = await shadowPath(thing, command);
      printJson(json((await client.request('GET', path, { name: options.name })).body));
    });

  shadow.command('update').argument('<thing>', 'thing name').argument('<document>', 'the request document, e.g. \'{"state":{"desired":{"on":true}}}\'; - reads stdin')
    .option('--name <shadow>', 'a named shadow (default: the classic shadow)')
    .description('update the shadow and print the accepted document (UpdateThingShadow)')
    .action(async (thing: string, document: string, options: { name?: string }, command: Command) => {
      const body = documentOf(document);
      const { client, path } = await shadowPath(thing, command);
      printJson(json((await client.request('POST', path, { name: options.name }, body)).body));
    });

  shadow.command('delete').argument('<thing>', 'thing name').option('--name <shadow>', 'a named shadow (default: the classic shadow)')
    .description('delete the shadow and print {"version","timestamp"} (DeleteThingShadow)')
    .action(async (thing: string, options: { name?: string }, command: Command) => {
      const { client, path } = await shadowPath(thing, command);
      printJson(json((await client.request('DELETE', path, { name: options.name })).body));
    });

  shadow.command('list').argument('<thing>', 'thing name').option('--json', 'print {"results": [...]} as JSON')
    .description('list the thing\'s named shadows (ListNamedShadowsForThing), one per line')
    .action(async (thing: string, options: { json?: boolean }, command: Command) => {
      const { label } = await import('./data-client.js');
      const client = await dataClient(command.optsWithGlobals<GlobalOptions>());
      const results: string[] = [];
      let nextToken: string | undefined;
      do {
        const page = json((await client.request('GET', `/api/things/shadow/ListNamedShadowsForThing/${label(thing)}`, { nextToken, pageSize: '100' })).body) as { results?: string[]; nextToken?: string };
        results.push(...(page.results ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
      if (options.json) return printJson({ results });
      if (results.length > 0) process.stdout.write(`${results.join('\n')}\n`);
    });
}

interface RetainedSummary {
  topic: string;
  payloadSize: number;
  qos: number;
  lastModifiedTime: number;
}

export function registerRetainedCommands(program: Command): void {
  const retained = program.command('retained').description('read retained messages (iot-data API)');

  retained.command('get').argument('<topic>', 'the topic')
    .option('--json', 'print the GetRetainedMessage answer as JSON (payload in base64)')
    .description('print the retained message\'s payload (GetRetainedMessage)')
    .action(async (topic: string, options: { json?: boolean }, command: Command) => {
      const { label } = await import('./data-client.js');
      const client = await dataClient(command.optsWithGlobals<GlobalOptions>());
      const answer = json((await client.request('GET', `/retainedMessage/${label(topic)}`)).body) as { payload?: string };
      if (options.json) return printJson(answer);
      process.stdout.write(Buffer.from(answer.payload ?? '', 'base64'));
    });

  retained.command('list').option('--json', 'print {"retainedTopics": [...]} as JSON')
    .description('list the topics with a retained message (ListRetainedMessages)')
    .action(async (options: { json?: boolean }, command: Command) => {
      const client = await dataClient(command.optsWithGlobals<GlobalOptions>());
      const retainedTopics: RetainedSummary[] = [];
      let nextToken: string | undefined;
      do {
        const page = json((await client.request('GET', '/retainedMessage', { nextToken, maxResults: '200' })).body) as { retainedTopics?: RetainedSummary[]; nextToken?: string };
        retainedTopics.push(...(page.retainedTopics ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
      if (options.json) return printJson({ retainedTopics });
      const rows = retainedTopics.map((t) => [t.topic, String(t.payloadSize), String(t.qos), new Date(t.lastModifiedTime).toISOString()]);
      process.stdout.write(`${formatTable(['TOPIC', 'BYTES', 'QOS', 'MODIFIED'], rows)}\n`);
    });
}
