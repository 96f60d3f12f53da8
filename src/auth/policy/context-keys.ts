/**
 * @module auth/policy/context-keys
 * Condition keys and policy variables are the same thing read two ways (IAM: a variable is the value
 * of a request-context key). This module turns a key name, once, into a resolver over a
 * PolicyContext; resource and condition patterns call the resolver on each evaluation.
 *
 * Design note: a key that has no value resolves to undefined, and callers treat that as AWS does: a
 * Resource with an unresolved variable matches nothing, a positive condition operator fails and a
 * negated one holds. The rules for when a key has a value are AWS's, kept here so that every transport
 * gets them without repeating them:
 * - Thing keys need a thing attached to the principal whose name is the client id; with no client id
 *   (an HTTPS publish) they are absent.
 * - Certificate attributes: no suffix is the first value, `.N` the value at zero-based N, `.List` all;
 *   at most five values count.
 */
import type { ContextKeyValue, PolicyContext } from './types.js';

export type KeyFamily = 'client' | 'sourceIp' | 'thing' | 'certificate' | 'extra';

export interface ContextKey {
  /** The name as the policy wrote it. */
  readonly name: string;
  readonly family: KeyFamily;
  resolve(context: PolicyContext): ContextKeyValue | undefined;
}

/** A variable's value for substitution, or undefined when it has none (see variableResolver). */
export type VariableResolver = (context: PolicyContext) => string | undefined;

/** AWS: the certificate name attributes a policy can read, by lower-case name. */
const CERTIFICATE_ATTRIBUTES: ReadonlyMap<string, string> = new Map(
  [
    'CommonName',
    'Country',
    'Organization',
    'OrganizationalUnit',
    'State',
    'SerialNumber',
    'Title',
    'Surname',
    'GivenName',
    'Initials',
    'Pseudonym',
    'GenerationQualifier',
    'DistinguishedNameQualifier',
  ].map((name) => [name.toLowerCase(), name]),
);

// AWS: "Certificate attributes that contain arrays are limited to five items. Additional items are ignored."
const CERTIFICATE_MAX_VALUES = 5;
// AWS: "All string values are limited to 1024 characters ... the policy variable is not replaced".
const CERTIFICATE_MAX_CHARS = 1024;

const THING_ATTRIBUTES_PREFIX = 'iot:connection.thing.attributes[';
const CERTIFICATE_PREFIX = /^iot:certificate\.(subject|issuer)\.([a-z]+)(?:\.(list|\d+))?$/;

const own = (record: object, key: string): boolean => Object.hasOwn(record, key);

/**
 * AWS: thing variables resolve for "the thing ... for which the policy is being evaluated", determined
 * by the certificate, with "the value of clientId ... exactly match[ing] the thing name"; "If the device
 * certificate is not associated with the thing, this variable won't be resolved".
 */
function boundThing(context: PolicyContext): PolicyContext['thing'] {
  const thing = context.thing;
  if (thing === undefined || !thing.isAttached || context.clientId === undefined || context.clientId !== thing.name) return undefined;
  return thing;
}

function key(name: string, family: KeyFamily, resolve: (context: PolicyContext) => ContextKeyValue | undefined): ContextKey {
  return { name, family, resolve };
}

function certificateKey(name: string, which: 'subject' | 'issuer', attribute: string, suffix: string | undefined): ContextKey {
  const index = suffix === undefined ? 0 : suffix === 'list' ? -1 : Number(suffix);
  return key(name, 'certificate', (context) => {
    const fields = context.certificate?.[which];
    if (fields === undefined || !own(fields, attribute)) return undefined;
    const values = fields[attribute];
    if (values === undefined || values.length === 0) return undefined;
    if (index === -1) return values.length > CERTIFICATE_MAX_VALUES ? values.slice(0, CERTIFICATE_MAX_VALUES) : values;
    // AWS: "If you specify an index value that does not exist ... no substitution is made and authorization fails."
    return index < CERTIFICATE_MAX_VALUES ? values[index] : undefined;
  });
}

/** Looks a key up in `extra`: as spelled first, then ignoring case, since IAM key names are case-insensitive. */
function extraKey(name: string): ContextKey {
  const lower = name.toLowerCase();
  return key(name, 'extra', (context) => {
    const extra = context.extra;
    if (extra === undefined) return undefined;
    if (own(extra, name)) return extra[name];
    for (const k in extra) if (own(extra, k) && k.toLowerCase() === lower) return extra[k];
    return undefined;
  });
}

/** The resolver for a condition key or variable name. Never fails: an unknown name is read from `extra`. */
export function contextKey(name: string): ContextKey {
  const lower = name.toLowerCase();
  switch (lower) {
    case 'iot:clientid':
      return key(name, 'client', (c) => c.clientId);
    case 'aws:sourceip':
      return key(name, 'sourceIp', (c) => c.sourceIp);
    case 'iot:certificateid':
      return key(name, 'certificate', (c) => c.certificate?.id);
    case 'iot:connection.thing.thingname':
      return key(name, 'thing', (c) => boundThing(c)?.name);
    case 'iot:connection.thing.thingtypename':
      return key(name, 'thing', (c) => boundThing(c)?.typeName);
    case 'iot:connection.thing.isattached':
      // AWS: "true" when the thing named by the client id is attached to the principal, else "false";
      // without a client id there is no thing to ask about, so the key is absent.
      return key(name, 'thing', (c) => (c.clientId === undefined ? undefined : boundThing(c) === undefined ? 'false' : 'true'));
  }
  if (lower.startsWith(THING_ATTRIBUTES_PREFIX) && lower.endsWith(']')) {
    // Attribute names keep their case: only the key's fixed part is case-insensitive.
    const attribute = name.slice(THING_ATTRIBUTES_PREFIX.length, -1);
    return key(name, 'thing', (c) => {
      const attributes = boundThing(c)?.attributes;
      if (attributes === undefined || !own(attributes, attribute)) return undefined;
      const value = attributes[attribute];
      return typeof value === 'string' ? value : undefined;
    });
  }
  const cert = CERTIFICATE_PREFIX.exec(lower);
  if (cert !== null) {
    const attribute = CERTIFICATE_ATTRIBUTES.get(cert[2] ?? '');
    if (attribute !== undefined) return certificateKey(name, cert[1] === 'issuer' ? 'issuer' : 'subject', attribute, cert[3]);
  }
  return extraKey(name);
}

const hasWildcard = (s: string): boolean => s.includes('*') || s.includes('?');

/**
 * The resolver for `${name}` in a Resource or condition value: one string, or undefined when the key
 * is absent or has several values (IAM substitutes single values only; `.List` is for conditions).
 */
export function variableResolver(name: string): { readonly key: ContextKey; readonly resolve: VariableResolver } {
  const k = contextKey(name);
  if (k.family === 'certificate' && k.name.toLowerCase() !== 'iot:certificateid') {
    return {
      key: k,
      resolve: (context) => {
        const v = k.resolve(context);
        if (typeof v !== 'string') return undefined;
        // AWS: "If wildcard characters are present in certificate attributes, the policy variable is not
        // replaced" and "longer than 1024 characters ... not replaced". AWS then leaves the `${...}` text
        // in place, which could match a topic literally named so; topicd matches nothing instead.
        if (v.length > CERTIFICATE_MAX_CHARS || hasWildcard(v)) return undefined;
        return v;
      },
    };
  }
  return { key: k, resolve: (context) => {
    const v = k.resolve(context);
    return typeof v === 'string' ? v : undefined;
  } };
}
