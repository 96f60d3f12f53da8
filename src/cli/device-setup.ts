/**
 * @module cli/device-setup
 * What `topicd thing create` sets up, named once: the files it writes to a device folder (the three
 * AWS's samples expect, which `topicd sub|pub` read) and the default thing policy. Constants and
 * types only, so the command definitions load nothing to name them.
 */

export const DEVICE_CERT_FILE = 'device.pem.crt';
export const DEVICE_KEY_FILE = 'private.pem.key';
export const DEVICE_CA_FILE = 'root-CA.pem';
/** Written by `thing create` into a folder it made: keeps the folder (and its private key) out of git. */
export const DEVICE_GITIGNORE_FILE = '.gitignore';

/** `topicd thing create`'s options. */
export interface CreateOptions {
  out: string;
  force?: boolean;
  rootCa?: string;
  policy?: string;
  json?: boolean;
}

/** The policy `thing create` attaches unless told otherwise; made on first use, then shared by every thing. */
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
