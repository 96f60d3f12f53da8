/**
 * @module test/helpers/tools
 * Running the third-party clients tests drive topicd with: curl, Python, and topicd's own CLI.
 */
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root, from dist/test/helpers. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = `${REPO_ROOT}dist/src/cli/main.js`;

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(command, args, {
      cwd: options.cwd, env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 20_000, maxBuffer: 16 * 1024 * 1024,
    }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : (child.exitCode ?? 1)) : 0;
      resolve({ code, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

let python: string | undefined;
/**
 * A python3 whose `requests` runs the AWS page's sample as printed. The sample passes
 * `cert=[cert, key]` as a list, which requests 2.32+ rejects ("unhashable type: 'list'",
 * psf/requests#6751); Debian 12's python3-requests (2.28, which .ci/run installs) accepts it.
 */
export function pythonForSamples(): string {
  if (python) return python;
  const check = 'import requests,sys; v=tuple(int(x) for x in requests.__version__.split(".")[:2]); sys.exit(0 if v < (2, 32) else 3)';
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(candidate, ['-c', check], { stdio: 'ignore' }).status === 0) return (python = candidate);
  }
  throw new Error('no python3 with requests < 2.32: install Debian\'s python3-requests (.ci/run does)');
}
