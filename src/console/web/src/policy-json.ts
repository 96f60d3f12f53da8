/**
 * @module console/web/policy-json
 * A JSON reader for the policy editor that knows where things are: a syntax error's offset, and the
 * span of every member by the path topicd's policy validator names it with (`Statement[1].Effect`,
 * `Condition["StringEquals"]`), so a MalformedPolicyException from the server is shown on its line.
 * The browser's JSON.parse says neither in a form that is the same across browsers.
 */

export interface Span {
  start: number;
  end: number;
}

export interface JsonIssue {
  offset: number;
  message: string;
}

export interface Located {
  error?: JsonIssue;
  spans: Map<string, Span>;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** The validator's way of naming a member (auth/policy/parse.ts `member`). */
export function memberPath(path: string, key: string): string {
  if (IDENTIFIER.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

class Reader {
  pos = 0;
  readonly spans = new Map<string, Span>();
  constructor(readonly text: string) {}

  fail(message: string, at = this.pos): never {
    throw Object.assign(new Error(message), { offset: at });
  }

  space(): void {
    while (this.pos < this.text.length && ' \t\n\r'.includes(this.text[this.pos]!)) this.pos++;
  }

  value(path: string): void {
    this.space();
    const start = this.pos;
    const c = this.text[this.pos];
    if (c === undefined) this.fail('The document ends where a value should be.');
    if (c === '{') this.object(path);
    else if (c === '[') this.array(path);
    else if (c === '"') this.string();
    else if (c === '-' || (c >= '0' && c <= '9')) this.number();
    else if (this.text.startsWith('true', this.pos)) this.pos += 4;
    else if (this.text.startsWith('false', this.pos)) this.pos += 5;
    else if (this.text.startsWith('null', this.pos)) this.pos += 4;
    else this.fail(`Unexpected ${JSON.stringify(c)}: expected a value (object, array, string, number, true, false or null).`);
    this.spans.set(path, { start, end: this.pos });
  }

  object(path: string): void {
    this.pos++;
    this.space();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return;
    }
    for (;;) {
      this.space();
      if (this.text[this.pos] !== '"') this.fail(this.text[this.pos] === '}' ? 'A comma before } leaves a member missing.' : 'Expected a member name in double quotes.');
      const key = this.string();
      this.space();
      if (this.text[this.pos] !== ':') this.fail(`Expected ':' after "${key}".`);
      this.pos++;
      this.value(memberPath(path, key));
      this.space();
      const c = this.text[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === '}') {
        this.pos++;
        return;
      }
      this.fail(c === undefined ? 'The document ends inside an object: a } is missing.' : `Expected ',' or '}' after a member, found ${JSON.stringify(c)}.`);
    }
  }

  array(path: string): void {
    this.pos++;
    this.space();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return;
    }
    for (let i = 0; ; i++) {
      this.value(`${path}[${i}]`);
      this.space();
      const c = this.text[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === ']') {
        this.pos++;
        return;
      }
      this.fail(c === undefined ? 'The document ends inside an array: a ] is missing.' : `Expected ',' or ']' after an item, found ${JSON.stringify(c)}.`);
    }
  }

  string(): string {
    const start = this.pos;
    // eslint-disable-next-line no-control-regex -- JSON forbids raw control characters in strings
    const end = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
    end.lastIndex = start;
    const match = end.exec(this.text);
    if (!match) {
      const close = this.text.indexOf('"', start + 1);
      this.fail(close === -1 ? 'A string is not closed: a " is missing.' : 'A string holds a line break, a control character or a bad escape.', start);
    }
    this.pos = start + match[0].length;
    return JSON.parse(match[0]) as string;
  }

  number(): void {
    const re = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    re.lastIndex = this.pos;
    const match = re.exec(this.text);
    if (!match) this.fail('A number is not written as JSON writes numbers.');
    this.pos += match[0].length;
  }
}

/** Reads `text`; the first syntax error (if any) with its offset, and the span of every member read. */
export function locate(text: string): Located {
  const reader = new Reader(text);
  try {
    reader.value('');
    reader.space();
    if (reader.pos < text.length) reader.fail('Text after the end of the document.');
    return { spans: reader.spans };
  } catch (err) {
    const offset = (err as { offset?: number }).offset ?? reader.pos;
    return { error: { offset, message: (err as Error).message }, spans: reader.spans };
  }
}

/** 1-based line and column of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/**
 * Where a validator path points: the member itself, or the nearest enclosing one that exists (a
 * missing `Statement[0].Effect` points at its statement).
 */
export function spanOf(spans: Map<string, Span>, path: string): Span | undefined {
  let p = path;
  for (;;) {
    const span = spans.get(p);
    if (span) return span;
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    if (cut <= 0) return spans.get('');
    p = p.slice(0, cut);
  }
}

/** `Statement[1].Effect: must be "Allow" or "Deny"` -> its path, when the message starts with one. */
export function pathOfMessage(message: string): string | undefined {
  const match = /^((?:[A-Za-z_$][\w$]*|\[[^\]]*\])(?:\.[A-Za-z_$][\w$]*|\[[^\]]*\])*): /.exec(message);
  return match?.[1];
}
