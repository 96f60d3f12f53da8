/**
 * @module cli/output
 * How the CLI prints: JSON the way the AWS CLI does (4-space indent), plain tables for people, and
 * shell quoting for the command lines it suggests. Data goes to stdout; progress and errors to stderr.
 */

/** JSON as `aws` prints it, so scripts written for the AWS CLI's output read ours. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 4)}\n`);
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** Epoch seconds (restJson timestamps) to an ISO string; '-' when absent. */
export function isoDate(epochSeconds: number | undefined): string {
  return typeof epochSeconds === 'number' ? new Date(epochSeconds * 1000).toISOString().replace(/\.000Z$/, 'Z') : '-';
}

/** Quotes a word for a POSIX shell only when it needs it, so printed commands stay readable. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export function stderrLine(text: string): void {
  process.stderr.write(`${text}\n`);
}
