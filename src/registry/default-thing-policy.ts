/**
 * @module registry/default-thing-policy
 * The policy a new thing's certificate gets unless told otherwise, shared by `topicd thing create`
 * and the console's create-thing page so both make the same device. Plain data (no imports): the
 * browser bundle reads it too.
 */

/** Made on first use, then shared by every thing. */
export const DEFAULT_THING_POLICY = 'topicd-thing-default';

/**
 * Connect as the thing's name (or `NAME.anything`, which `topicd sub|pub` use), and publish, subscribe
 * and receive under `things/NAME/`, by MQTT and by HTTPS. It reads the certificate's common name,
 * which `thing create` sets to the thing's name, because AWS resolves no thing variables over HTTPS;
 * thing names cannot hold `.`, so no thing can claim another's client ids.
 */
export const DEFAULT_THING_POLICY_DOCUMENT = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow', Action: 'iot:Connect',
      Resource: ['arn:aws:iot:*:*:client/${iot:Certificate.Subject.CommonName}', 'arn:aws:iot:*:*:client/${iot:Certificate.Subject.CommonName}.*'],
    },
    { Effect: 'Allow', Action: ['iot:Publish', 'iot:RetainPublish', 'iot:Receive'], Resource: 'arn:aws:iot:*:*:topic/things/${iot:Certificate.Subject.CommonName}/*' },
    { Effect: 'Allow', Action: 'iot:Subscribe', Resource: 'arn:aws:iot:*:*:topicfilter/things/${iot:Certificate.Subject.CommonName}/*' },
  ],
}, null, 2);
