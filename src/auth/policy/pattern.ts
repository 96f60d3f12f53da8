/**
 * @module auth/policy/pattern
 * Policy strings compiled once into matchers: Action names, Resource ARNs and condition values, with
 * `*` (any run of characters, `/` and `:` included) and `?` (one character) as wildcards and `${...}`
 * policy variables substituted per evaluation. MQTT's `+` and `#` are ordinary characters here.
 *
 * Design note: a template is a list of pieces (text, star, one, variable). A template without
 * variables becomes one anchored RegExp when compiled (V8 runs those far faster than a hand loop or
 * String#startsWith), provided it cannot make the RegExp backtrack badly (regexSafe). Any other is
 * matched by walking its pieces against the subject with one backtrack point, the last star seen
 * (the classic wildcard algorithm, O(pattern x subject); a text piece is a run of literal characters,
 * so it behaves as they would one by one, compared by a sticky RegExp or, when short, char codes).
 * A variable's value is compared as text, never read for wildcards, so a client id `a*` matches only
 * `a*`. Values are resolved into a scratch array owned by the pattern before each match: evaluation
 * is synchronous, so nothing else can use it meanwhile.
 */
import { variableResolver } from './context-keys.js';
import type { ContextKey, VariableResolver } from './context-keys.js';
import type { PolicyContext } from './types.js';

export type Piece =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'star' }
  | { readonly kind: 'one' }
  | { readonly kind: 'var'; readonly name: string };

export interface TemplateOptions {
  /** Policy variables are read (Version 2012-10-17); otherwise `${...}` is plain text. */
  readonly variables: boolean;
  /** `*` and `?` are wildcards (StringLike, Resource, Action); otherwise plain text (StringEquals). */
  readonly wildcards: boolean;
}

/**
 * Splits a policy string into pieces. `${*}`, `${?}` and `${$}` are the literal characters (IAM's
 * escapes); a `${` with no closing `}` is plain text.
 */
export function parseTemplate(source: string, options: TemplateOptions): Piece[] {
  const pieces: Piece[] = [];
  let text = '';
  const flush = (): void => {
    if (text !== '') pieces.push({ kind: 'text', text });
    text = '';
  };
  for (let i = 0; i < source.length; i++) {
    const ch = source[i] as string;
    if (options.wildcards && (ch === '*' || ch === '?')) {
      flush();
      // Two stars in a row match what one does; keeping one bounds the backtracking.
      if (ch === '?' || pieces[pieces.length - 1]?.kind !== 'star') pieces.push(ch === '*' ? { kind: 'star' } : { kind: 'one' });
      continue;
    }
    if (options.variables && ch === '$' && source[i + 1] === '{') {
      const close = source.indexOf('}', i + 2);
      const name = close < 0 ? '' : source.slice(i + 2, close);
      if (name !== '' && !name.includes('${')) {
        if (name === '*' || name === '?' || name === '$') text += name;
        else {
          flush();
          pieces.push({ kind: 'var', name });
        }
        i = close;
        continue;
      }
    }
    text += ch;
  }
  flush();
  return pieces;
}

const STAR_PIECE: Piece = { kind: 'star' };

const STAR = 0;
const ONE = 1;
const TEXT = 2;
const VAR = 3;

interface Token {
  readonly kind: number;
  /** TEXT: its length; the sticky regex below compares it, since String#startsWith is slow in V8. */
  readonly length: number;
  readonly re: RegExp | null;
  /** TEXT: the text itself, compared by char codes when short (cheaper than a RegExp call). */
  readonly text: string;
  readonly slot: number;
}

/** Text pieces up to this long are compared char by char; longer ones by a sticky RegExp. */
const SHORT_TEXT = 8;

function sameChars(subject: string, at: number, text: string): boolean {
  for (let i = 0; i < text.length; i++) if (subject.charCodeAt(at + i) !== text.charCodeAt(i)) return false;
  return true;
}

function stickyAt(re: RegExp, subject: string, at: number): boolean {
  re.lastIndex = at;
  return re.test(subject);
}

const REGEX_SPECIAL = /[\\^$.*+?()[\]{}|/]/g;
const escapeRegExp = (text: string): string => text.replace(REGEX_SPECIAL, '\\$&');

/**
 * Whether `^...$` of these pieces runs in linear time on a backtracking engine: at most one star that
 * can backtrack (a final star never does). `*a*a*a*b` against a long run of `a` is polynomial in the
 * subject with an exponent of the star count, and subjects are topics devices choose; such patterns
 * are left to the walk, which is O(pattern x subject) whatever they hold.
 */
export function regexSafe(pieces: readonly Piece[]): boolean {
  let stars = 0;
  for (let i = 0; i < pieces.length; i++) if (pieces[i]?.kind === 'star' && i !== pieces.length - 1) stars++;
  return stars <= 1;
}

/** The regular-expression source of pieces without variables: `*` any run, `?` one character. */
export function regexSource(pieces: readonly Piece[], star = '.*', one = '.'): string {
  let out = '';
  for (const p of pieces) {
    if (p.kind === 'star') out += star;
    else if (p.kind === 'one') out += one;
    else if (p.kind === 'text') out += escapeRegExp(p.text);
    else throw new Error('regexSource: a template with variables has no fixed regular expression');
  }
  return out;
}

/**
 * A compiled template; `match` asks whether a subject string is one the template describes. Without
 * variables it is one anchored RegExp (or a string comparison); with variables, the piece walk above.
 */
export class Pattern {
  private readonly tokens: readonly Token[];
  private readonly resolvers: readonly VariableResolver[];
  private readonly values: string[];
  private readonly regex: RegExp | null;
  /**
   * With variables: the pattern with each variable as `*`. A subject it refuses cannot match whatever
   * the values are, so most statements that do not apply are passed over without resolving anything.
   */
  private readonly shape: RegExp | null;
  private readonly literal: string | undefined;
  private readonly all: boolean;
  readonly keys: readonly ContextKey[];

  /** `foldCase` compares without regard to case (action names, StringEqualsIgnoreCase). */
  constructor(readonly pieces: readonly Piece[], private readonly foldCase = false) {
    const resolvers: VariableResolver[] = [];
    const keys: ContextKey[] = [];
    const flags = foldCase ? 'i' : '';
    this.tokens = pieces.map((p): Token => {
      switch (p.kind) {
        case 'star': return { kind: STAR, length: 0, re: null, text: '', slot: -1 };
        case 'one': return { kind: ONE, length: 1, re: null, text: '', slot: -1 };
        case 'text': {
          const short = p.text.length <= SHORT_TEXT && !foldCase;
          return { kind: TEXT, length: p.text.length, re: short ? null : new RegExp(escapeRegExp(p.text), `y${flags}`), text: p.text, slot: -1 };
        }
        case 'var': {
          const v = variableResolver(p.name);
          resolvers.push(v.resolve);
          keys.push(v.key);
          return { kind: VAR, length: 0, re: null, text: '', slot: resolvers.length - 1 };
        }
      }
    });
    this.resolvers = resolvers;
    this.keys = keys;
    this.values = new Array<string>(resolvers.length).fill('');
    const first = pieces[0];
    this.all = pieces.length === 1 && first?.kind === 'star';
    this.literal = !foldCase && pieces.length === 0 ? '' : !foldCase && pieces.length === 1 && first?.kind === 'text' ? first.text : undefined;
    // `s`: a star or `?` matches a line break too; no `u`: `?` is one UTF-16 unit, as in the walk.
    // Only patterns a backtracking engine runs in linear time become RegExps (see regexSafe).
    this.regex = resolvers.length === 0 && regexSafe(pieces) ? new RegExp(`^${regexSource(pieces)}$`, `s${flags}`) : null;
    const shape = pieces.map((p) => (p.kind === 'var' ? STAR_PIECE : p));
    this.shape = resolvers.length > 0 && regexSafe(shape) ? new RegExp(`^${regexSource(shape)}$`, `s${flags}`) : null;
  }

  /** A fixed pattern that is one RegExp, so it can join a combined RegExp (PatternSet). */
  get regexable(): boolean {
    return this.regex !== null;
  }

  /** True when the pattern matches every string (a lone `*`). */
  get matchesAll(): boolean {
    return this.all;
  }

  match(subject: string, context: PolicyContext): boolean {
    if (this.literal !== undefined) return subject === this.literal;
    if (this.regex !== null) return this.regex.test(subject);
    if (this.shape !== null && !this.shape.test(subject)) return false;
    return this.walk(subject, 0, subject.length, context);
  }

  /** Matches `subject.slice(from, to)`. An unresolved variable matches nothing. */
  matchRange(subject: string, from: number, to: number, context: PolicyContext): boolean {
    if (from === 0 && to === subject.length) return this.match(subject, context);
    return this.walk(subject, from, to, context);
  }

  private walk(subject: string, from: number, to: number, context: PolicyContext): boolean {
    const values = this.values;
    for (let i = 0; i < this.resolvers.length; i++) {
      const v = (this.resolvers[i] as VariableResolver)(context);
      if (v === undefined) return false;
      values[i] = this.foldCase ? v.toLowerCase() : v;
    }
    const tokens = this.tokens;
    const n = tokens.length;
    let ti = 0;
    let si = from;
    let starTi = -1;
    let starSi = from;
    for (;;) {
      if (ti < n) {
        const t = tokens[ti] as Token;
        if (t.kind === STAR) {
          starTi = ti++;
          starSi = si;
          continue;
        }
        if (t.kind === ONE) {
          if (si < to) {
            si++;
            ti++;
            continue;
          }
        } else if (t.kind === TEXT) {
          if (si + t.length <= to && (t.re === null ? sameChars(subject, si, t.text) : stickyAt(t.re, subject, si))) {
            si += t.length;
            ti++;
            continue;
          }
        } else {
          const v = values[t.slot] as string;
          const end = si + v.length;
          if (end <= to) {
            const seen = subject.slice(si, end);
            if ((this.foldCase ? seen.toLowerCase() : seen) === v) {
              si = end;
              ti++;
              continue;
            }
          }
        }
      } else if (si === to) {
        return true;
      }
      // Mismatch: let the last star swallow one more character, or fail if there is none.
      if (starTi < 0 || starSi >= to) return false;
      starSi++;
      si = starSi;
      ti = starTi + 1;
    }
  }
}

/**
 * ArnEquals / ArnLike value. IAM: "Each of the six colon-delimited components of the ARN is checked
 * separately and each can include multi-character match wildcards (*) or single-character match
 * wildcards (?)", so a `*` here stops at a colon; the last component (the resource) keeps its colons.
 */
export class ArnPattern {
  private readonly parts: readonly Pattern[];
  private readonly regex: RegExp | null;
  readonly keys: readonly ContextKey[];

  constructor(pieces: readonly Piece[]) {
    const parts = splitArn(pieces);
    this.parts = parts.map((p) => new Pattern(p));
    this.keys = this.parts.flatMap((p) => p.keys);
    const fixed = this.parts.length === 6 && this.parts.every((p) => p.regexable);
    this.regex = fixed
      ? new RegExp(`^${parts.map((p, i) => (i < 5 ? regexSource(p, '[^:]*', '[^:]') : regexSource(p))).join(':')}$`, 's')
      : null;
  }

  match(subject: string, context: PolicyContext): boolean {
    if (this.regex !== null) return this.regex.test(subject);
    if (this.parts.length !== 6) return false;
    let from = 0;
    for (let i = 0; i < 5; i++) {
      const colon = subject.indexOf(':', from);
      if (colon < 0) return false;
      if (!(this.parts[i] as Pattern).matchRange(subject, from, colon, context)) return false;
      from = colon + 1;
    }
    return (this.parts[5] as Pattern).matchRange(subject, from, subject.length, context);
  }
}

/**
 * Splits pieces at the first five colons of their text (a colon inside `${iot:ClientId}` is not one):
 * up to six lists of pieces, arn:partition:service:region:account:resource.
 */
export function splitArn(pieces: readonly Piece[]): Piece[][] {
  const out: Piece[][] = [[]];
  for (const p of pieces) {
    if (p.kind !== 'text' || out.length === 6) {
      (out[out.length - 1] as Piece[]).push(p);
      continue;
    }
    let rest = p.text;
    let colon = rest.indexOf(':');
    while (colon >= 0 && out.length < 6) {
      if (colon > 0) (out[out.length - 1] as Piece[]).push({ kind: 'text', text: rest.slice(0, colon) });
      out.push([]);
      rest = rest.slice(colon + 1);
      colon = rest.indexOf(':');
    }
    if (rest !== '') (out[out.length - 1] as Piece[]).push({ kind: 'text', text: rest });
  }
  return out;
}
