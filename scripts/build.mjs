#!/usr/bin/env node
/**
 * @module scripts/build
 * `npm run build` (and `npm start`'s prestart): brings dist/ up to date with the sources, doing no
 * work when nothing changed, so `npm start` on an unchanged checkout starts at once.
 *
 * Steps run in order; a later build step (a bundle of its own) is one more function in STEPS.
 * - prune: tsc never deletes what it emitted, so a deleted or renamed source would leave its
 *   compiled file behind, and the test command (every dist/test/**\/*.test.js) would run it. Every
 *   file under the compiled folders of dist/ (dist/src, dist/test, dist/bench) that no current
 *   source maps to is removed; a bundle step writes a folder of its own (e.g. dist/web/).
 * - compile: `tsc -b` with an incremental build info file (dist/tsconfig.build.tsbuildinfo), so a
 *   change recompiles what it touches. When the build info is newer than every source and config
 *   file and every output exists, tsc is not even started. A compiled file missing while its source
 *   exists (dist edited by hand) is a case tsc -b does not see: that forces a full build.
 * - bin: package.json's bin files are made executable (npx runs them directly).
 * - console: the web console's pages (src/console/web, excluded from tsc) bundled by Vite into
 *   dist/console/, only when a file of theirs (or package.json) is newer than the last bundle.
 *
 * Runs in the project root (npm runs scripts there); typescript is resolved from this script's own
 * project, so the test of this script can run it in a fixture folder.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, readdirSync, rmSync, rmdirSync, statSync, utimesSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import process from 'node:process';

const CONFIG = 'tsconfig.build.json';
/** Files whose change changes every output. */
const CONFIG_FILES = [CONFIG, 'tsconfig.json', 'package.json'];

/** Where a compiled file comes from: its possible sources, relative to the project root. */
function sourcesOf(compiled) {
  const base = compiled.replace(/\.map$/, '');
  const stem = (ext) => base.slice(0, -ext.length);
  if (base.endsWith('.d.ts')) return [`${stem('.d.ts')}.ts`, `${stem('.d.ts')}.tsx`];
  if (base.endsWith('.js')) return [`${stem('.js')}.ts`, `${stem('.js')}.tsx`];
  if (base.endsWith('.mjs')) return [`${stem('.mjs')}.mts`];
  if (base.endsWith('.cjs')) return [`${stem('.cjs')}.cts`];
  return [];
}

/** What a source compiles to (the JavaScript only: maps and declarations follow it). */
function outputOf(source) {
  if (source.endsWith('.d.ts')) return undefined;
  const m = /^(.*)\.(ts|tsx|mts|cts)$/.exec(source);
  if (!m) return undefined;
  return `${m[1]}.${{ ts: 'js', tsx: 'js', mts: 'mjs', cts: 'cjs' }[m[2]]}`;
}

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

/** Removes empty folders below `dir` (not `dir` itself). */
function removeEmptyDirs(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const path = join(dir, entry.name);
    removeEmptyDirs(path);
    if (readdirSync(path).length === 0) rmdirSync(path);
  }
}

/** The build's settings: the folders tsc compiles (each to outDir/<folder>) and outDir. */
function readProject() {
  const config = JSON.parse(readFileSync(CONFIG, 'utf8'));
  const base = config.extends ? JSON.parse(readFileSync(config.extends, 'utf8')) : {};
  const outDir = config.compilerOptions?.outDir ?? base.compilerOptions?.outDir;
  const rootDir = config.compilerOptions?.rootDir ?? base.compilerOptions?.rootDir;
  const include = config.include ?? base.include ?? [];
  // The mapping below assumes dist/<folder>/x.js comes from <folder>/x.ts: say so if that stops being true.
  if (typeof outDir !== 'string' || rootDir !== '.' || include.some((p) => !/^[\w.-]+$/.test(p))) {
    throw new Error(`${CONFIG}: scripts/build.mjs expects rootDir ".", an outDir and plain folder names in include`);
  }
  // tsc -b rewrites (or touches) its build info file on every build that found something to do.
  const buildInfo = config.compilerOptions?.tsBuildInfoFile;
  if (typeof buildInfo !== 'string') throw new Error(`${CONFIG}: scripts/build.mjs expects a tsBuildInfoFile`);
  const exclude = config.exclude ?? base.exclude ?? [];
  return { outDir, buildInfo, folders: include.filter((f) => existsSync(f)), exclude };
}

/** Whether a source lies in a folder tsc is told to leave alone (built by another step). */
function excluded(project, source) {
  return project.exclude.some((folder) => source === folder || source.startsWith(`${folder}/`));
}

/** Deletes compiled files whose source is gone; returns how many. */
function prune({ outDir, folders }) {
  let removed = 0;
  for (const folder of folders) {
    const compiledDir = join(outDir, folder);
    if (!existsSync(compiledDir)) continue;
    for (const file of walk(compiledDir)) {
      if (sourcesOf(relative(outDir, file)).some((s) => existsSync(s))) continue;
      rmSync(file);
      removed += 1;
    }
    removeEmptyDirs(compiledDir);
    if (readdirSync(compiledDir).length === 0) rmdirSync(compiledDir);
  }
  if (removed > 0) process.stdout.write(`build: removed ${removed} compiled file(s) of deleted sources from ${outDir}/\n`);
  return removed;
}

/**
 * Whether dist/ is current without asking tsc (loading the compiler alone takes a second or more):
 * the build info file is newer than every source and config file, and every source has its output.
 * The same test tsc -b makes (by modification time), plus the outputs' presence, which it does not check.
 */
function upToDate(project) {
  const { outDir, buildInfo, folders } = project;
  if (!existsSync(buildInfo)) return false;
  const builtAt = statSync(buildInfo).mtimeMs;
  for (const config of CONFIG_FILES) {
    if (existsSync(config) && statSync(config).mtimeMs > builtAt) return false;
  }
  for (const folder of folders) {
    for (const source of walk(folder)) {
      const output = outputOf(source);
      if (output === undefined || excluded(project, source)) continue;
      if (statSync(source).mtimeMs > builtAt || !existsSync(join(outDir, output))) return false;
    }
  }
  return true;
}

function tsc(...flags) {
  const bin = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [bin, '-b', CONFIG, ...flags], { stdio: 'inherit' });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function compile(project, removed) {
  if (removed === 0 && upToDate(project)) return 0;
  let status = tsc();
  // tsc -b judged by its build info alone and found nothing to do, yet an output is missing
  // (deleted by hand): only a full build brings it back.
  if (status === 0 && !upToDate(project)) status = tsc('--force');
  // A failed build must not look current to the next one, which would then skip tsc and its errors:
  // the build info is dated back (tsc -b itself still knows, from its content, what to recheck).
  if (status !== 0 && existsSync(project.buildInfo)) utimesSync(project.buildInfo, 0, 0);
  return status;
}

/**
 * `npx topicd` runs package.json's bin through a link npm made (and chmodded) once, in its cache; a
 * file tsc creates anew is not executable, and would then fail with "Permission denied".
 */
function binsExecutable() {
  const { bin } = JSON.parse(readFileSync('package.json', 'utf8'));
  for (const file of typeof bin === 'string' ? [bin] : Object.values(bin ?? {})) {
    if (existsSync(file) && (statSync(file).mode & 0o111) !== 0o111) chmodSync(file, 0o755);
  }
  return 0;
}

/** The console's pages: source folder, Vite config, and the bundle's marker file. */
const CONSOLE = { sources: 'src/console/web', config: 'src/console/web/vite.config.ts', marker: 'dist/console/index.html' };

function newestIn(dir) {
  let newest = 0;
  for (const file of walk(dir)) newest = Math.max(newest, statSync(file).mtimeMs);
  return newest;
}

function bundleConsole() {
  if (!existsSync(CONSOLE.config)) return 0;
  if (existsSync(CONSOLE.marker)) {
    const builtAt = statSync(CONSOLE.marker).mtimeMs;
    if (newestIn(CONSOLE.sources) <= builtAt && statSync('package.json').mtimeMs <= builtAt) return 0;
  }
  // vite's exports name no bin: its package.json (which they do export) says where it is.
  const pkg = createRequire(import.meta.url).resolve('vite/package.json');
  const vite = join(pkg, '..', JSON.parse(readFileSync(pkg, 'utf8')).bin.vite);
  const result = spawnSync(process.execPath, [vite, 'build', '--config', CONSOLE.config], { stdio: 'inherit' });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

const STEPS = [
  (state) => {
    state.removed = prune(state.project);
  },
  (state) => compile(state.project, state.removed),
  () => binsExecutable(),
  () => bundleConsole(),
];

function main() {
  const state = { project: readProject() };
  for (const step of STEPS) {
    const status = step(state);
    if (typeof status === 'number' && status !== 0) return status;
  }
  return 0;
}

try {
  process.exitCode = main();
} catch (err) {
  process.stderr.write(`build: ${err.message}\n`);
  process.exitCode = 1;
}
