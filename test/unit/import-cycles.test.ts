/**
 * @module test/unit/import-cycles.test
 * No import circle anywhere in src/, `import type` included (the lint's import-x/no-cycle follows
 * runtime imports only): a circle of types still makes two modules that cannot be read apart.
 * Every relative import and re-export of every .ts/.tsx file is an edge; Tarjan's algorithm finds
 * the strongly connected components.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/tools.js';

const SRC = join(REPO_ROOT, 'src');
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s*['"](\.[^'"]+)['"]/g;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

function edges(file: string): string[] {
  const out: string[] = [];
  for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    const base = resolve(dirname(file), m[1]!).replace(/\.js$/, '');
    const target = [`${base}.ts`, `${base}.tsx`, join(base, 'index.ts')].find((c) => existsSync(c));
    if (target !== undefined) out.push(target);
  }
  return out;
}

function circles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) found.push(component.sort());
  };
  for (const f of graph.keys()) if (!index.has(f)) visit(f);
  return found;
}

describe('import circles', () => {
  it('import circles - none in src/, type imports included', () => {
    const files = sources(SRC);
    assert.ok(files.length > 100, `read ${files.length} source files`);
    const graph = new Map(files.map((f) => [f, edges(f)]));
    assert.ok(graph.get(join(SRC, 'broker', 'core.ts'))?.includes(join(SRC, 'broker', 'clock.ts')), 'the edge reader sees core.ts import clock.ts');
    assert.deepEqual(circles(graph).map((c) => c.map((f) => relative(SRC, f))), []);
  });

  it('import circles - the search finds every circle of a graph, and only those', () => {
    const graph = new Map([['a', ['b']], ['b', ['c', 'd']], ['c', ['a']], ['d', []], ['e', ['e2']], ['e2', ['e']], ['f', ['a']]]);
    assert.deepEqual(circles(graph), [['a', 'b', 'c'], ['e', 'e2']]);
  });
});
