/**
 * @module test/unit/build.test
 * `npm run build` (scripts/build.mjs) on a small fixture project in a temp dir, with the project's
 * own TypeScript: the first build compiles; an unchanged tree starts no compiler; a deleted or
 * renamed source leaves no compiled file behind (the test command runs every dist/test file); a
 * compiled file deleted by hand comes back; a failed build fails again until fixed; bins stay
 * executable.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT, run, type Run } from '../helpers/tools.js';

const BUILD = join(REPO_ROOT, 'scripts', 'build.mjs');

describe('build', () => {
  const dir = mkdtempSync(join(tmpdir(), 'topicd-build-'));
  const build = (): Promise<Run> => run('node', [BUILD], { cwd: dir, timeoutMs: 120_000 });
  const out = (path: string): string => join(dir, 'dist', path);
  const buildInfo = out('tsconfig.build.tsbuildinfo');
  const write = (path: string, text: string): void => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  };

  before(() => {
    write('package.json', JSON.stringify({ name: 'fixture', type: 'module', bin: { fixture: 'dist/src/main.js' } }));
    write('tsconfig.json', JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, sourceMap: true, types: [], outDir: 'dist', rootDir: '.' },
      include: ['src', 'test'],
    }));
    write('tsconfig.build.json', JSON.stringify({
      extends: './tsconfig.json',
      compilerOptions: { incremental: true, tsBuildInfoFile: 'dist/tsconfig.build.tsbuildinfo' },
      include: ['src', 'test'],
    }));
    write('src/main.ts', '#!/usr/bin/env node\nimport { a } from \'./a.js\';\nconsole.log(a);\n');
    write('src/a.ts', 'export const a: number = 1;\n');
    write('src/b.ts', 'export const b = 2;\n');
    write('test/a.test.ts', 'export const t = 1;\n');
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  test('build - the first build compiles every folder and makes the bin executable', async () => {
    const result = await build();
    assert.equal(result.code, 0, result.stdout + result.stderr);
    for (const f of ['src/main.js', 'src/main.js.map', 'src/a.js', 'src/b.js', 'test/a.test.js']) assert.ok(existsSync(out(f)), f);
    assert.equal(statSync(out('src/main.js')).mode & 0o111, 0o111);
  });

  test('build - an unchanged tree is left alone: no compiler, no file written', async () => {
    const before = [statSync(buildInfo).mtimeMs, statSync(out('src/a.js')).mtimeMs];
    const result = await build();
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '');
    assert.deepEqual([statSync(buildInfo).mtimeMs, statSync(out('src/a.js')).mtimeMs], before);
  });

  test('build - a deleted source\'s compiled files are removed, empty folders too', async () => {
    rmSync(join(dir, 'test', 'a.test.ts'));
    const result = await build();
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /removed 2 compiled file\(s\) of deleted sources/);
    assert.equal(existsSync(out('test')), false);
    assert.ok(existsSync(out('src/a.js')));
  });

  test('build - a renamed source (its time older than the last build) is compiled, the old name removed', async () => {
    renameSync(join(dir, 'src', 'b.ts'), join(dir, 'src', 'c.ts'));
    utimesSync(join(dir, 'src', 'c.ts'), new Date(2020, 0, 1), new Date(2020, 0, 1));
    const result = await build();
    assert.equal(result.code, 0, result.stderr);
    assert.ok(existsSync(out('src/c.js')));
    assert.deepEqual(readdirSync(out('src')).filter((f) => f.startsWith('b.')), []);
  });

  test('build - a compiled file deleted by hand comes back', async () => {
    rmSync(out('src/main.js'));
    const result = await build();
    assert.equal(result.code, 0, result.stderr);
    assert.ok(existsSync(out('src/main.js')));
    assert.equal(statSync(out('src/main.js')).mode & 0o111, 0o111, 'executable again');
  });

  test('build - a type error fails the build, and the next one too, until it is fixed', async () => {
    write('src/a.ts', 'export const a: number = \'one\';\n');
    const failed = await build();
    assert.notEqual(failed.code, 0);
    assert.match(failed.stdout + failed.stderr, /TS2322/);
    const again = await build();
    assert.notEqual(again.code, 0, 'not taken as current');
    write('src/a.ts', 'export const a: number = 1;\n');
    assert.equal((await build()).code, 0);
  });
});
