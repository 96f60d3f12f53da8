/**
 * @module control/resources
 * The resource a control-plane call acts on, for authorizing SigV4 callers by policy as IAM does
 * (`iot:CreateThing` on `arn:aws:iot:R:A:thing/NAME`). It is read off the operation's route: the
 * label that names the resource says its kind. Listings and account-wide operations act on `*`.
 */

/** Route label -> the ARN resource type AWS IoT names it with. */
const RESOURCE_TYPES: ReadonlyMap<string, string> = new Map([
  ['thingName', 'thing'],
  ['policyName', 'policy'],
  ['certificateId', 'cert'],
  ['caCertificateId', 'cacert'],
  ['thingTypeName', 'thingtype'],
]);

/** `arnPrefix` is `arn:aws:iot:<region>:<account>:`; `url` the operation's fastify route. */
export function operationResource(url: string, params: Readonly<Record<string, string>>, arnPrefix: string): string {
  for (const segment of url.split('/')) {
    if (!segment.startsWith(':')) continue;
    const label = segment.slice(1);
    const type = RESOURCE_TYPES.get(label);
    const value = params[label];
    if (type !== undefined && value !== undefined) return `${arnPrefix}${type}/${value}`;
  }
  return '*';
}
