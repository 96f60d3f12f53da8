/**
 * @module control/resources
 * The resource a control-plane call acts on, for authorizing SigV4 callers by policy as IAM does
 * (`iot:CreateThing` on `arn:aws:iot:R:A:thing/NAME`). It is read off the operation's route: the
 * first path label names the resource, and the route's first segment says its kind. Listings and
 * account-wide operations act on `*`.
 */

/** Route's first segment -> the ARN resource type AWS IoT names its label with. */
const RESOURCE_TYPES: ReadonlyMap<string, string> = new Map([
  ['things', 'thing'],
  ['thing-types', 'thingtype'],
  ['certificates', 'cert'],
  ['cacertificate', 'cacert'],
  ['certificates-by-ca', 'cacert'],
  ['policies', 'policy'],
  ['target-policies', 'policy'],
  ['principal-policies', 'policy'],
  ['policy-targets', 'policy'],
  ['topicd', 'accesskey'],
]);

/** `arnPrefix` is `arn:aws:iot:<region>:<account>:`; `url` the operation's fastify route. */
export function operationResource(url: string, params: Readonly<Record<string, string>>, arnPrefix: string): string {
  const segments = url.split('/');
  const type = RESOURCE_TYPES.get(segments[1] ?? '');
  const label = segments.find((s) => s.startsWith(':'))?.slice(1);
  const value = label === undefined ? undefined : params[label];
  return type === undefined || value === undefined ? '*' : `${arnPrefix}${type}/${value}`;
}
