/**
 * @module auth/policy/arns
 * The resource ARNs AWS IoT checks each action against (reference §6, iot-action-resources): topics
 * for Publish, RetainPublish and Receive, topic filters for Subscribe, client ids for Connect, things
 * for shadows. Names go in as they are: MQTT `+` and `#` and any `*` in them are plain characters of
 * the request, never wildcards (only policies have wildcards).
 */

/** The partition of a region: aws, aws-cn (cn-*) or aws-us-gov (us-gov-*). */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** `arn:aws:iot:<region>:<account>:` so a hot path can build a prefix once and append to it. */
export function iotArnPrefix(region: string, account: string): string {
  return `arn:${partitionOf(region)}:iot:${region}:${account}:`;
}

/** iot:Publish, iot:RetainPublish, iot:Receive, iot:GetRetainedMessage: `...:topic/<topic>`. */
export function topicArn(region: string, account: string, topic: string): string {
  return `${iotArnPrefix(region, account)}topic/${topic}`;
}

/** iot:Subscribe: `...:topicfilter/<filter>`. */
export function topicFilterArn(region: string, account: string, filter: string): string {
  return `${iotArnPrefix(region, account)}topicfilter/${filter}`;
}

/** iot:Connect (and DeleteConnection): `...:client/<clientId>`. */
export function clientArn(region: string, account: string, clientId: string): string {
  return `${iotArnPrefix(region, account)}client/${clientId}`;
}

/** Shadow actions: `...:thing/<thingName>`, or `...:thing/<thingName>/<shadowName>` for a named shadow. */
export function thingArn(region: string, account: string, thingName: string, shadowName?: string): string {
  const base = `${iotArnPrefix(region, account)}thing/${thingName}`;
  return shadowName === undefined ? base : `${base}/${shadowName}`;
}
