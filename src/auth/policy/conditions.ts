/**
 * @module auth/policy/conditions
 * The Condition element: the operators AWS IoT policies use (IAM's string, numeric, date, Bool, IP,
 * ARN and Null operators, each with the `...IfExists` suffix and the `ForAllValues:` / `ForAnyValue:`
 * set prefixes), checked when a policy is parsed and compiled once into clauses.
 *
 * Design note, IAM semantics followed here (reference_policies_elements_condition_operators and
 * _multi-value-conditions):
 * - several values for one key are ORed; a negated operator (StringNotEquals...) is the negation of
 *   that OR, so the key must equal none of them;
 * - a key absent from the request makes a positive operator false and a negated one true ("If the
 *   policy condition requires that the key is not matched ... and the right key is not present, the
 *   condition is true"); `...IfExists` makes any operator true then;
 * - `ForAllValues:` holds when every value of the key matches (and when the key is absent or empty),
 *   `ForAnyValue:` when at least one does (never when it is absent);
 * - a policy variable with no value in a condition value equals and is like nothing.
 * A multi-valued key (`...List`) under a plain operator is read as ForAnyValue (IAM leaves that case
 * to the set prefixes; topicd picks the reading that a negated operator cannot turn into an allow).
 */
import { ArnPattern, Pattern, parseTemplate } from './pattern.js';
import type { ContextKey } from './context-keys.js';
import { contextKey } from './context-keys.js';
import { cidrContains, parseAddress, parseCidr } from './ip.js';
import type { Cidr } from './ip.js';
import type { PolicyContext } from './types.js';

type Family = 'string' | 'stringIgnoreCase' | 'stringLike' | 'numeric' | 'date' | 'bool' | 'ip' | 'arn' | 'null';
type Comparison = 'eq' | 'lt' | 'lte' | 'gt' | 'gte';

interface OperatorKind {
  readonly family: Family;
  readonly negated: boolean;
  readonly compare: Comparison;
}

const op = (family: Family, negated = false, compare: Comparison = 'eq'): OperatorKind => ({ family, negated, compare });

const OPERATORS: ReadonlyMap<string, OperatorKind> = new Map([
  ['StringEquals', op('string')],
  ['StringNotEquals', op('string', true)],
  ['StringEqualsIgnoreCase', op('stringIgnoreCase')],
  ['StringNotEqualsIgnoreCase', op('stringIgnoreCase', true)],
  ['StringLike', op('stringLike')],
  ['StringNotLike', op('stringLike', true)],
  ['NumericEquals', op('numeric')],
  ['NumericNotEquals', op('numeric', true)],
  ['NumericLessThan', op('numeric', false, 'lt')],
  ['NumericLessThanEquals', op('numeric', false, 'lte')],
  ['NumericGreaterThan', op('numeric', false, 'gt')],
  ['NumericGreaterThanEquals', op('numeric', false, 'gte')],
  ['DateEquals', op('date')],
  ['DateNotEquals', op('date', true)],
  ['DateLessThan', op('date', false, 'lt')],
  ['DateLessThanEquals', op('date', false, 'lte')],
  ['DateGreaterThan', op('date', false, 'gt')],
  ['DateGreaterThanEquals', op('date', false, 'gte')],
  ['Bool', op('bool')],
  ['IpAddress', op('ip')],
  ['NotIpAddress', op('ip', true)],
  ['ArnEquals', op('arn')],
  ['ArnLike', op('arn')],
  ['ArnNotEquals', op('arn', true)],
  ['ArnNotLike', op('arn', true)],
  ['Null', op('null')],
]);

export interface ConditionOperator {
  /** As written: `ForAllValues:StringEqualsIfExists`. */
  readonly name: string;
  readonly set: 'none' | 'all' | 'any';
  readonly ifExists: boolean;
  readonly kind: OperatorKind;
}

/** The operator named `name`, or undefined when IAM has no such operator. Names are case-sensitive. */
export function parseOperator(name: string): ConditionOperator | undefined {
  let base = name;
  let set: ConditionOperator['set'] = 'none';
  if (base.startsWith('ForAllValues:')) {
    set = 'all';
    base = base.slice('ForAllValues:'.length);
  } else if (base.startsWith('ForAnyValue:')) {
    set = 'any';
    base = base.slice('ForAnyValue:'.length);
  }
  let kind = OPERATORS.get(base);
  let ifExists = false;
  if (kind === undefined && base.endsWith('IfExists')) {
    kind = OPERATORS.get(base.slice(0, -'IfExists'.length));
    ifExists = true;
  }
  // IAM: Null tests presence itself, so neither IfExists nor a set prefix means anything with it.
  if (kind === undefined || (kind.family === 'null' && (ifExists || set !== 'none'))) return undefined;
  return { name, set, ifExists, kind };
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const EPOCH = /^\d+$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}/;

function parseNumber(text: string): number {
  return NUMBER.test(text) ? Number(text) : NaN;
}

/** IAM dates: W3C / ISO 8601 forms, or epoch seconds. NaN when neither. */
function parseDate(text: string): number {
  if (EPOCH.test(text)) return Number(text) * 1000;
  return ISO_DATE.test(text) ? Date.parse(text) : NaN;
}

function parseBool(text: string): boolean | undefined {
  const lower = text.toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : undefined;
}

/** Null when `value` suits the operator, else the problem (for the parser's error message). */
export function checkConditionValue(operator: ConditionOperator, value: string): string | null {
  switch (operator.kind.family) {
    case 'numeric':
      return Number.isNaN(parseNumber(value)) ? `${JSON.stringify(value)} is not a number` : null;
    case 'date':
      return Number.isNaN(parseDate(value)) ? `${JSON.stringify(value)} is not a date (ISO 8601 or epoch seconds)` : null;
    case 'bool':
    case 'null':
      return parseBool(value) === undefined ? `${JSON.stringify(value)} must be "true" or "false"` : null;
    case 'ip':
      return parseCidr(value) === undefined ? `${JSON.stringify(value)} is not an IP address or CIDR block` : null;
    default:
      return null;
  }
}

function compareNumbers(a: number, b: number, how: Comparison): boolean {
  switch (how) {
    case 'eq': return a === b;
    case 'lt': return a < b;
    case 'lte': return a <= b;
    case 'gt': return a > b;
    case 'gte': return a >= b;
  }
}

const EMPTY: readonly string[] = [];

/** One key under one operator: `"StringEquals": { "iot:ClientId": ["a", "b"] }`. */
export class ConditionClause {
  readonly key: ContextKey;
  private readonly family: Family;
  private readonly negated: boolean;
  private readonly compare: Comparison;
  private readonly set: ConditionOperator['set'];
  private readonly ifExists: boolean;
  private readonly patterns: readonly Pattern[] = [];
  private readonly arns: readonly ArnPattern[] = [];
  private readonly numbers: readonly number[] = [];
  private readonly cidrs: readonly Cidr[] = [];
  private readonly bools: readonly boolean[] = [];
  /** Keys read by policy variables in the values. */
  readonly valueKeys: readonly ContextKey[];

  /** `values` have passed checkConditionValue. */
  constructor(operator: ConditionOperator, keyName: string, values: readonly string[], variables: boolean) {
    this.key = contextKey(keyName);
    const { family, negated, compare } = operator.kind;
    this.family = family;
    this.negated = negated;
    this.compare = compare;
    this.set = operator.set;
    this.ifExists = operator.ifExists;
    switch (family) {
      case 'string':
      case 'stringIgnoreCase':
      case 'stringLike':
        // IAM: policy variables work in the string and ARN operators only.
        this.patterns = values.map((v) => new Pattern(parseTemplate(v, { variables, wildcards: family === 'stringLike' }), family === 'stringIgnoreCase'));
        break;
      case 'arn':
        this.arns = values.map((v) => new ArnPattern(parseTemplate(v, { variables, wildcards: true })));
        break;
      case 'numeric':
        this.numbers = values.map(parseNumber);
        break;
      case 'date':
        this.numbers = values.map(parseDate);
        break;
      case 'ip':
        this.cidrs = values.map((v) => parseCidr(v) as Cidr);
        break;
      case 'bool':
      case 'null':
        this.bools = values.map((v) => parseBool(v) === true);
        break;
    }
    this.valueKeys = [...this.patterns.flatMap((p) => p.keys), ...this.arns.flatMap((p) => p.keys)];
  }

  holds(context: PolicyContext): boolean {
    const raw = this.key.resolve(context);
    const absent = raw === undefined || (typeof raw !== 'string' && raw.length === 0);
    if (this.family === 'null') {
      // IAM: Null "true" holds when the key is absent, "false" when it is present.
      for (const expectAbsent of this.bools) if (expectAbsent === absent) return true;
      return false;
    }
    if (absent) {
      if (this.ifExists) return true;
      if (this.set === 'all') return true;
      if (this.set === 'any') return false;
      return this.negated;
    }
    const values = typeof raw === 'string' ? EMPTY : raw;
    if (this.set === 'all') {
      if (typeof raw === 'string') return this.matchesAny(raw, context) !== this.negated;
      for (const v of values) if (this.matchesAny(v, context) === this.negated) return false;
      return true;
    }
    if (this.set === 'any') {
      if (typeof raw === 'string') return this.matchesAny(raw, context) !== this.negated;
      for (const v of values) if (this.matchesAny(v, context) !== this.negated) return true;
      return false;
    }
    let positive: boolean;
    if (typeof raw === 'string') positive = this.matchesAny(raw, context);
    else {
      positive = false;
      for (const v of values) {
        if (this.matchesAny(v, context)) {
          positive = true;
          break;
        }
      }
    }
    return positive !== this.negated;
  }

  /** Whether the context value equals / is like / is in at least one of the policy's values. */
  private matchesAny(value: string, context: PolicyContext): boolean {
    switch (this.family) {
      case 'string':
      case 'stringIgnoreCase':
      case 'stringLike':
        for (const p of this.patterns) if (p.match(value, context)) return true;
        return false;
      case 'arn':
        for (const p of this.arns) if (p.match(value, context)) return true;
        return false;
      case 'numeric':
      case 'date': {
        const n = this.family === 'numeric' ? parseNumber(value) : parseDate(value);
        if (Number.isNaN(n)) return false;
        for (const v of this.numbers) if (compareNumbers(n, v, this.compare)) return true;
        return false;
      }
      case 'bool': {
        const b = parseBool(value);
        if (b === undefined) return false;
        for (const v of this.bools) if (v === b) return true;
        return false;
      }
      case 'ip': {
        const address = parseAddress(value);
        if (address === undefined) return false;
        for (const c of this.cidrs) if (cidrContains(c, address)) return true;
        return false;
      }
      case 'null':
        return false;
    }
  }
}
