/**
 * @module store/postgres/sql
 * SQL text with its values written in as literals, for the write batch (write-batch.ts): a turn's
 * writes go to PostgreSQL as ONE simple-protocol message (`BEGIN; ...; COMMIT`), which takes no bound
 * parameters. Reads keep bound parameters ($1, ...) and never come here.
 *
 * Design note. Every value passes through `literal`, and only through the `sql` tag, so no caller
 * concatenates a value into SQL: strings are quoted by pg's own escapeLiteral (which doubles quotes and
 * backslashes and is right whatever standard_conforming_strings says), numbers must be finite, bytes
 * are written as hex digits. A string with U+0000 is refused here: PostgreSQL text cannot hold it, and
 * in a simple-protocol message it would end the query text.
 * Why not bound parameters: measured on this machine, 2,000 small INSERTs take ~60 ms as one such
 * message, ~320-500 ms as 2,000 parameterized queries even in pg's pipeline mode.
 */
import { escapeLiteral } from 'pg';

/** A piece of SQL whose values are already literals; interpolating one into `sql` inlines it as is. */
export class Sql {
  constructor(readonly text: string) {}
}

export type SqlValue = string | number | boolean | null | undefined | Buffer | readonly number[] | Sql;

export function literal(value: SqlValue): string {
  if (value === null || value === undefined) return 'NULL';
  if (value instanceof Sql) return value.text;
  switch (typeof value) {
    case 'string':
      if (value.includes('\u0000')) throw new TypeError('PostgreSQL text cannot hold U+0000');
      return escapeLiteral(value);
    case 'number':
      return number(value);
    case 'boolean':
      return value ? 'TRUE' : 'FALSE';
    default:
      break;
  }
  // Hex digits only; the store's connections set standard_conforming_strings (connection.ts), so the
  // backslash is the bytea hex prefix, not an escape. (decode() costs PostgreSQL far more per row.)
  if (Buffer.isBuffer(value)) return `'\\x${value.toString('hex')}'::bytea`;
  return value.length === 0 ? `'{}'::integer[]` : `ARRAY[${value.map(number).join(',')}]::integer[]`;
}

function number(value: number): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`not a finite number: ${String(value)}`);
  // Parenthesised so that a negative value never reads as part of an operator next to it.
  return value < 0 ? `(${value})` : String(value);
}

/** `sql\`UPDATE t SET a = ${a} WHERE b = ${b}\`` with each value written as a literal. */
export function sql(strings: TemplateStringsArray, ...values: SqlValue[]): Sql {
  let text = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) text += literal(values[i]) + (strings[i + 1] ?? '');
  return new Sql(text);
}

/** Joins pieces (already Sql) with a separator. */
export function join(pieces: readonly Sql[], separator: string): Sql {
  return new Sql(pieces.map((p) => p.text).join(separator));
}
