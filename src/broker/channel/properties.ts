/**
 * @module broker/channel/properties
 * The MQTT 5 properties a message carries on from its PUBLISH (or will): never topic aliases or
 * subscription identifiers, which belong to one connection. Their limits (the expiry cap) are the
 * publish gate's.
 */
import type { IPublishPacket } from 'mqtt-packet';
import type { PublishProperties } from '../../protocol/codec.js';

export function publishProperties(props: IPublishPacket['properties'] | undefined): PublishProperties | undefined {
  if (!props) return undefined;
  const out: PublishProperties = {};
  let any = false;
  if (props.payloadFormatIndicator !== undefined) { out.payloadFormatIndicator = props.payloadFormatIndicator; any = true; }
  if (props.messageExpiryInterval !== undefined) { out.messageExpiryInterval = props.messageExpiryInterval; any = true; }
  if (props.responseTopic !== undefined) { out.responseTopic = props.responseTopic; any = true; }
  if (props.correlationData !== undefined) { out.correlationData = props.correlationData; any = true; }
  if (props.userProperties !== undefined) { out.userProperties = props.userProperties; any = true; }
  if (props.contentType !== undefined) { out.contentType = props.contentType; any = true; }
  return any ? out : undefined;
}
