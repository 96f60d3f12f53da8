#!/usr/bin/env node
/**
 * @module cli/main
 * The `topicd` command: `start` runs topicd; the others talk to a running topicd found through
 * `--data-dir` (DATA/runtime.json and DATA/credentials): describe-endpoint, thing, cert, policy,
 * access-key, ca
 * over the control-plane API, shadow and retained over the iot-data API, and sub/pub over MQTT. Every failure is one line `topicd: ...` on stderr and a
 * non-zero exit, never a stack trace (TOPICD_DEBUG=1 adds one, for bug reports).
 */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { isTopicdError } from '../errors.js';
import { registerAccessKeyCommands } from './access-key-commands.js';
import { registerCaCommands } from './ca-commands.js';
import { registerCertCommands } from './cert-commands.js';
import { controlClient, type GlobalOptions } from './context.js';
import { registerRetainedCommands, registerShadowCommands } from './data-commands.js';
import { CliError, ControlError, ControlUnreachableError } from './errors.js';
import { registerMqttCommands } from './mqtt-commands.js';
import { printJson } from './output.js';
import { registerPolicyCommands } from './policy-commands.js';
import { registerStartCommand } from './start-command.js';
import { registerThingCommands } from './thing-commands.js';

/** The one line printed for an error, without the `topicd: ` prefix. */
export function errorLine(err: unknown): string {
  let line: string;
  if (err instanceof ControlError) line = `${err.type}: ${err.message}`;
  else if (err instanceof ControlUnreachableError) line = `${err.message} (is topicd running? DATA/runtime.json may be left from a topicd that stopped)`;
  else if (err instanceof CliError || isTopicdError(err)) line = err.message;
  else if (err instanceof Error) line = err.message || err.name;
  else line = String(err);
  return line.replace(/\s*\n\s*/g, ' ');
}

function exitCodeOf(err: unknown): number {
  return err instanceof CliError ? err.exitCode : 1;
}

/** Exits once stdout and stderr have taken everything written so far (pipes may be async). */
function exit(code: number): void {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

function fail(err: unknown): void {
  process.stderr.write(`topicd: ${errorLine(err)}\n`);
  if (process.env.TOPICD_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  exit(exitCodeOf(err));
}

function packageVersion(): string {
  try {
    // dist/src/cli/main.js -> package.json at the root
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function buildProgram(state: { serving: boolean }): Command {
  const program = new Command('topicd')
    .description('topicd: AWS IoT Core\'s device data plane, self-hosted')
    .version(packageVersion(), '-V, --version')
    .addOption(new Option('--data-dir <dir>', 'data directory of the topicd to use (default: ./data; env TOPICD_DATA_DIR)'))
    .addOption(new Option('--control-url <url>', 'control-plane URL (default: the one in DATA/runtime.json)'))
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      // commander's own errors (unknown option, missing argument) read like ours: `topicd: ...`.
      // The "(Did you mean ...?)" hint joins the same line: one error, one line.
      outputError: (text, write) => write(`${text.trimEnd().replace(/^error: /, 'topicd: ').replace(/\s*\n\s*/g, ' ')}\n`),
    })
    .showSuggestionAfterError(true);

  registerStartCommand(program, state);

  program.command('describe-endpoint')
    .description('print the data endpoint as JSON: {"endpointAddress": "..."} (DescribeEndpoint)')
    .option('--endpoint-type <type>', 'iot:Data, iot:Data-ATS, iot:CredentialProvider or iot:Jobs')
    .action(async (options: { endpointType?: string }, command: Command) => {
      const { client } = await controlClient(command.optsWithGlobals<GlobalOptions>());
      printJson(await client.describeEndpoint(options.endpointType));
    });

  registerThingCommands(program);
  registerCertCommands(program);
  registerPolicyCommands(program);
  registerCaCommands(program);
  registerMqttCommands(program);
  registerAccessKeyCommands(program);
  registerShadowCommands(program);
  registerRetainedCommands(program);
  return program;
}

async function main(): Promise<void> {
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
  const state = { serving: false };
  try {
    await buildProgram(state).parseAsync(process.argv);
  } catch (err) {
    return fail(err);
  }
  // `start` keeps serving until a signal; every other command is done here.
  if (!state.serving) exit(0);
}

await main();
