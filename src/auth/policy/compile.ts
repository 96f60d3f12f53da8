/**
 * @module auth/policy/compile
 * Turns a validated policy document into the structure evaluate walks: per statement, its actions
 * as one case-insensitive RegExp, its resources as one RegExp plus the few patterns that hold policy
 * variables (bound to context resolvers), condition clauses, and the frozen Decision the statement
 * gives, so that evaluation parses nothing, compiles nothing, and allocates little beyond what
 * variables and conditions need.
 */
import type { ContextKey } from './context-keys.js';
import { ConditionClause, parseOperator } from './conditions.js';
import { parsePolicy, validatePolicy } from './parse.js';
import { Pattern, parseTemplate, regexSource } from './pattern.js';
import type { Decision, Effect, PolicyContext, PolicyDocument, PolicyNeeds, PolicyStatement } from './types.js';

/**
 * A list of patterns as one test: the entries without variables joined into one anchored RegExp, the
 * others (with variables, or with stars a RegExp could backtrack over) tried one by one. `foldCase`
 * for action names, which IAM compares without regard to case.
 */
class PatternSet {
  private readonly regex: RegExp | null;
  private readonly dynamic: readonly Pattern[];
  readonly all: boolean;
  readonly keys: readonly ContextKey[];

  constructor(patterns: readonly Pattern[], foldCase: boolean) {
    const combined = patterns.filter((p) => p.regexable);
    this.all = patterns.some((p) => p.matchesAll);
    this.regex = combined.length === 0 || this.all
      ? null
      : new RegExp(`^(?:${combined.map((p) => regexSource(p.pieces)).join('|')})$`, foldCase ? 'si' : 's');
    this.dynamic = patterns.filter((p) => !p.regexable);
    this.keys = this.dynamic.flatMap((p) => p.keys);
  }

  /** IAM: an entry whose variable has no value "will not match any resource"; Pattern.match says false. */
  matches(subject: string, context: PolicyContext): boolean {
    if (this.all) return true;
    if (this.regex !== null && this.regex.test(subject)) return true;
    for (const p of this.dynamic) if (p.match(subject, context)) return true;
    return false;
  }
}

/** One statement, compiled. `decision` is what evaluate returns when this statement decides. */
export class CompiledStatement {
  readonly index: number;
  readonly sid: string | undefined;
  readonly effect: Effect;
  readonly decision: Decision;
  private readonly actions: PatternSet;
  private readonly notAction: boolean;
  private readonly resources: PatternSet;
  private readonly notResource: boolean;
  private readonly conditions: readonly ConditionClause[];
  /** Every context key the statement can read (variables and condition keys). */
  readonly keys: readonly ContextKey[];

  constructor(policyName: string, index: number, statement: PolicyStatement, variables: boolean) {
    this.index = index;
    this.sid = statement.Sid;
    this.effect = statement.Effect;
    this.decision = Object.freeze({
      allowed: statement.Effect === 'Allow',
      reason: statement.Effect === 'Allow' ? 'allow' : 'explicit-deny',
      decidedBy: Object.freeze({
        policyName,
        statementIndex: index,
        ...(statement.Sid === undefined ? {} : { sid: statement.Sid }),
        effect: statement.Effect,
      }),
    });
    this.notAction = statement.Action === undefined;
    this.actions = new PatternSet(
      (statement.Action ?? statement.NotAction ?? []).map((a) => new Pattern(parseTemplate(a, { variables: false, wildcards: true }), true)),
      true,
    );
    this.notResource = statement.Resource === undefined;
    this.resources = new PatternSet(
      (statement.Resource ?? statement.NotResource ?? []).map((r) => new Pattern(parseTemplate(r, { variables, wildcards: true }))),
      false,
    );
    const conditions: ConditionClause[] = [];
    for (const [opName, block] of Object.entries(statement.Condition ?? {})) {
      const operator = parseOperator(opName);
      // validatePolicy has refused unknown operators already.
      if (operator === undefined) throw new Error(`unknown condition operator ${opName}`);
      for (const [keyName, values] of Object.entries(block)) conditions.push(new ConditionClause(operator, keyName, values, variables));
    }
    this.conditions = conditions;
    this.keys = [
      ...this.resources.keys,
      ...conditions.flatMap((c) => [c.key, ...c.valueKeys]),
    ];
  }

  /**
   * Whether the statement applies to the request: its action, resource and every condition clause
   * match (IAM: conditions are ANDed across operators and keys).
   */
  applies(action: string, resource: string, context: PolicyContext): boolean {
    if (this.actions.matches(action, context) === this.notAction) return false;
    // Under NotResource an entry with an unresolved variable matches nothing, so it excludes nothing.
    if (this.resources.matches(resource, context) === this.notResource) return false;
    for (const c of this.conditions) if (!c.holds(context)) return false;
    return true;
  }
}

export interface CompiledPolicy {
  readonly name: string;
  /** The validated, normalized document. */
  readonly document: PolicyDocument;
  readonly statements: readonly CompiledStatement[];
  readonly needs: PolicyNeeds;
}

/**
 * Compiles a policy once, for any number of evaluations. `doc` is the JSON text (validated as
 * CreatePolicy would, size limit included) or a document object (validated, no size limit).
 * @throws MalformedPolicyError
 */
export function compilePolicy(name: string, doc: PolicyDocument | string): CompiledPolicy {
  const document = typeof doc === 'string' ? parsePolicy(doc) : validatePolicy(doc);
  const variables = document.Version === '2012-10-17';
  const statements = document.Statement.map((s, i) => new CompiledStatement(name, i, s, variables));
  const keys = statements.flatMap((s) => s.keys);
  const has = (family: ContextKey['family']): boolean => keys.some((k) => k.family === family);
  const needs: PolicyNeeds = Object.freeze({
    thing: has('thing'),
    certificate: has('certificate'),
    sourceIp: has('sourceIp'),
    clientId: has('client') || has('thing'),
    extra: Object.freeze([...new Set(keys.filter((k) => k.family === 'extra').map((k) => k.name))]),
  });
  return Object.freeze({ name, document, statements: Object.freeze(statements), needs });
}
