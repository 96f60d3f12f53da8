/**
 * @module test/helpers/doc-commands
 * Reads what the docs tell a user to type, so tests run it as written: the `sh` code blocks of a
 * markdown section, in order, and the links and repository paths a page names.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

/** The `sh` blocks under the level-2 heading `title` (up to the next level-2 heading), in order. */
export function shellBlocks(markdown: string, title: string): string[] {
  const start = markdown.indexOf(`\n## ${title}\n`);
  if (start === -1) throw new Error(`no section "## ${title}"`);
  const next = markdown.indexOf('\n## ', start + 1);
  const section = markdown.slice(start, next === -1 ? undefined : next);
  const blocks: string[] = [];
  // Indented fences too (blocks inside a numbered list).
  const fence = /^([ \t]*)```sh\n([\s\S]*?)^\1```$/gm;
  for (let m = fence.exec(section); m !== null; m = fence.exec(section)) {
    const indent = m[1] ?? '';
    blocks.push((m[2] ?? '').split('\n').map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l)).join('\n').trimEnd());
  }
  return blocks;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function headingAnchor(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

/**
 * What a page names that is not there: relative links whose file (or `#anchor` heading) is missing,
 * and backticked repository paths (`src/...`, `docs/...`, with an extension or a trailing slash)
 * that do not exist. Paths are tried from the page's folder and from the repository root.
 */
export function missingReferences(repoRoot: string, page: string): string[] {
  const text = readFileSync(join(repoRoot, page), 'utf8');
  const base = dirname(join(repoRoot, page));
  const missing: string[] = [];
  for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1] ?? '';
    if (/^[a-z]+:/.test(target)) continue;
    const [file = '', anchor] = target.split('#');
    const path = file === '' ? join(repoRoot, page) : normalize(join(base, file));
    if (!existsSync(path)) {
      missing.push(`${page}: link ${target}`);
      continue;
    }
    if (anchor !== undefined && path.endsWith('.md')) {
      const anchors = [...readFileSync(path, 'utf8').matchAll(/^#{1,6} (.+)$/gm)].map((h) => headingAnchor(h[1] ?? ''));
      if (!anchors.includes(anchor)) missing.push(`${page}: anchor ${target}`);
    }
  }
  for (const m of text.matchAll(/`((?:\.\.\/)*(?:src|test|docs|bench|scripts|\.ci)\/[\w./-]*(?:\.\w+|\/))`/g)) {
    const path = m[1] ?? '';
    if (!existsSync(normalize(join(base, path))) && !existsSync(join(repoRoot, path))) missing.push(`${page}: path ${path}`);
  }
  return missing;
}
