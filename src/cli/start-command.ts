/**
 * @module cli/start-command
 * `topicd start` (what `npm start` runs): every setting of config's SETTINGS as a flag, plus
 * `--config FILE`; loadConfig merges them with env and file. It prints the warnings and the ready
 * banner on stdout, and on SIGINT/SIGTERM closes topicd cleanly and exits 0; a second signal exits at once.
 */
import { Option, type Command } from 'commander';
import { DEFAULTS, SETTINGS, envName, loadConfig, type Config } from '../config/config.js';
import type { GlobalOptions } from './context.js';
import { stderrLine } from './output.js';

/** Exit codes of a second signal, the shell's 128 + signal number. */
const FORCED_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/** `state.serving` tells cli/main not to exit once the action returns: topicd runs until a signal. */
export function registerStartCommand(program: Command, state: { serving: boolean }): void {
  const start = program.command('start').description('start topicd: the HTTPS, MQTT and ALPN listeners and the control plane');
  for (const s of SETTINGS) {
    // --data-dir is global (every command needs it); the other settings belong to start alone.
    if (s.key === 'dataDir') continue;
    const value = s.kind === 'port' ? '<port>' : s.kind === 'optional-bool' ? '<true|false>' : s.kind === 'optional-int' || s.kind === 'int' ? '<n>' : `<${s.flag.split('-').pop() ?? 'value'}>`;
    const fallback = DEFAULTS[s.key];
    const why = `${s.describe} (${fallback === undefined ? '' : `default: ${String(fallback)}; `}env ${envName(s.flag)})`;
    start.addOption(new Option(`--${s.flag} ${value}`, why));
  }
  start.option('--config <file>', 'JSON config file whose keys are these flags\' names (env TOPICD_CONFIG)');
  start.action(async (options: Record<string, unknown>, command: Command) => {
    const globals = command.optsWithGlobals<GlobalOptions>();
    const flags: Partial<Record<keyof Config, unknown>> = {};
    for (const s of SETTINGS) {
      const given = s.key === 'dataDir' ? globals.dataDir : options[s.key];
      if (given !== undefined) flags[s.key] = given;
    }
    const config = loadConfig({ flags, configFile: options.config as string | undefined });
    // The server's modules load only for `start`; the other commands stay quick.
    const { startTopicd } = await import('../main.js');
    const running = await startTopicd(config);
    state.serving = true;
    for (const warning of running.warnings) process.stdout.write(`${warning}\n`);
    process.stdout.write(`${running.banner()}\n`);

    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        stderrLine(`topicd: ${signal} again, exiting now`);
        process.exit(FORCED_EXIT[signal] ?? 1);
      }
      stopping = true;
      stderrLine(`topicd: ${signal}, stopping (send it again to exit at once)`);
      running.close().then(
        () => process.exit(0),
        (err: unknown) => {
          stderrLine(`topicd: error while stopping: ${(err as Error).message}`);
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
