/**
 * @aws-sdk/client-iot-data-plane (unmodified) against topicd's iot-data API: every command of the
 * model, signed with SigV4 on the ALPN port without a client certificate (as the AWS SDKs call AWS IoT)
 * and with a device's certificate on the HTTPS port, and each error the model names that topicd can
 * produce, as the SDK's own exception classes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { after, before, describe, it } from 'node:test';
import {
  ConflictException, DeleteThingShadowCommand, ForbiddenException, GetRetainedMessageCommand, GetThingShadowCommand, InvalidRequestException,
  IoTDataPlaneClient, ListNamedShadowsForThingCommand, ListRetainedMessagesCommand, PublishCommand, RequestEntityTooLargeException,
  ResourceNotFoundException, ThrottlingException, UnsupportedDocumentEncodingException, UpdateThingShadowCommand,
} from '@aws-sdk/client-iot-data-plane';
import { Hash } from '@smithy/hash-node';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { ControlClient } from '../../src/cli/control-client.js';
import { createDevice, readCredentials, startTestTopicd, type Device, type TestTopicd } from '../helpers/topicd.js';

const json = (bytes: Uint8Array | undefined): Record<string, unknown> => JSON.parse(Buffer.from(bytes ?? []).toString('utf8')) as Record<string, unknown>;
const body = (doc: unknown): Uint8Array => Buffer.from(JSON.stringify(doc));

/** Asserts a call fails with this SDK exception class, status and (optionally) message. */
async function rejectsWith(call: Promise<unknown>, type: abstract new (...args: never[]) => Error, status: number, message?: RegExp): Promise<void> {
  await assert.rejects(call, (err: Error & { $metadata?: { httpStatusCode?: number }; name: string }) => {
    assert.ok(err instanceof type, `${err.name}: ${err.message}`);
    assert.equal(err.$metadata?.httpStatusCode, status);
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('iot-data sdk - @aws-sdk/client-iot-data-plane', () => {
  let topicd: TestTopicd;
  let device: Device;
  let signed: IoTDataPlaneClient;
  let certified: IoTDataPlaneClient;
  const clients: IoTDataPlaneClient[] = [];

  const client = (port: number, credentials: { accessKeyId: string; secretAccessKey: string }, tls: Record<string, string> = {}, extra: Record<string, unknown> = {},
    alpnProtocols?: string[]): IoTDataPlaneClient => {
    const made = new IoTDataPlaneClient({
      endpoint: `https://localhost:${port}`, region: topicd.running.config.region, credentials, maxAttempts: 1,
      requestHandler: new NodeHttpHandler({ httpsAgent: new Agent({ ca: device.ca, ...tls, ...(alpnProtocols ? { ALPNProtocols: alpnProtocols } : {}) }) }), ...extra,
    });
    clients.push(made);
    return made;
  };

  before(async () => {
    topicd = await startTestTopicd();
    device = await createDevice(topicd, 'rest-device');
    signed = client(topicd.running.ports.alpn!, readCredentials(topicd.running.credentialsPath));
    // A device signs nothing it needs: its certificate is its identity (the SDK signs anyway; topicd ignores it).
    certified = client(topicd.running.ports.https, { accessKeyId: 'AKIAIGNORED', secretAccessKey: 'ignored' }, { cert: device.cert, key: device.key });
  });
  after(async () => {
    for (const c of clients) c.destroy();
    await topicd.stop();
  });

  it('iot-data sdk - Publish with MQTT 5 properties and retain; GetRetainedMessage; ListRetainedMessages paged', async () => {
    for (const topic of ['sdk/retained/a', 'sdk/retained/b', 'sdk/retained/c']) {
      await signed.send(new PublishCommand({
        topic, qos: 1, retain: true, payload: Buffer.from(`value of ${topic}`),
        userProperties: JSON.stringify([{ deviceName: 'alpha' }]), contentType: 'text/plain', messageExpiry: 3600,
      }));
    }
    const got = await signed.send(new GetRetainedMessageCommand({ topic: 'sdk/retained/a' }));
    assert.equal(got.topic, 'sdk/retained/a');
    assert.equal(Buffer.from(got.payload ?? []).toString(), 'value of sdk/retained/a');
    assert.equal(got.qos, 1);
    assert.ok(Math.abs(Number(got.lastModifiedTime) - Date.now()) < 60_000);
    assert.deepEqual(JSON.parse(Buffer.from(got.userProperties ?? []).toString()), [{ deviceName: 'alpha' }]);

    const first = await certified.send(new ListRetainedMessagesCommand({ maxResults: 2 }));
    assert.deepEqual(first.retainedTopics?.map((t) => t.topic), ['sdk/retained/a', 'sdk/retained/b']);
    assert.equal(first.retainedTopics?.[0]?.payloadSize, Buffer.byteLength('value of sdk/retained/a'));
    assert.ok(first.nextToken);
    const second = await certified.send(new ListRetainedMessagesCommand({ maxResults: 2, nextToken: first.nextToken }));
    assert.deepEqual(second.retainedTopics?.map((t) => t.topic), ['sdk/retained/c']);
    assert.equal(second.nextToken, undefined);

    await rejectsWith(signed.send(new GetRetainedMessageCommand({ topic: 'sdk/retained/none' })), ResourceNotFoundException, 404);
    await rejectsWith(signed.send(new ListRetainedMessagesCommand({ nextToken: 'not-a-token' })), InvalidRequestException, 400);
    await rejectsWith(signed.send(new ListRetainedMessagesCommand({ maxResults: 500 })), InvalidRequestException, 400);
    await rejectsWith(signed.send(new PublishCommand({ topic: 'sdk/+/wild', payload: Buffer.from('x') })), InvalidRequestException, 400);
    await rejectsWith(signed.send(new PublishCommand({ topic: 'sdk/big', payload: Buffer.alloc(129 * 1024) })), RequestEntityTooLargeException, 413);
    await rejectsWith(signed.send(new PublishCommand({ topic: '$aws/things/x/jobs/get', payload: Buffer.from('x') })), ForbiddenException, 403);
  });

  it('iot-data sdk - Expect: 100-continue with SigV4: a wrong key is refused before the body is asked for; the right key gets 100, then 200', async () => {
    const port = topicd.running.ports.alpn!;
    const body = 'sent only after 100 Continue';
    const post = async (credentials: { accessKeyId: string; secretAccessKey: string }): Promise<{ continued: boolean; status: number; type: unknown }> => {
      const signer = new SignatureV4({ service: 'iotdata', region: topicd.running.config.region, credentials, sha256: Hash.bind(null, 'sha256') });
      const request = await signer.sign(new HttpRequest({
        method: 'POST', protocol: 'https:', hostname: 'localhost', port, path: '/topics/sdk%2Fcontinue', query: { qos: '1' },
        headers: { host: `localhost:${port}`, 'content-length': String(body.length), expect: '100-continue' }, body,
      }));
      return new Promise((resolve, reject) => {
        let continued = false;
        const req = httpsRequest({ host: 'localhost', port, method: 'POST', path: '/topics/sdk%2Fcontinue?qos=1', headers: request.headers, ca: device.ca, agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve({ continued, status: res.statusCode ?? 0, type: res.headers['x-amzn-errortype'] }));
        });
        req.on('continue', () => {
          continued = true;
          req.end(body);
        });
        req.on('error', reject);
        req.flushHeaders();
      });
    };
    const wrong = await post({ accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'wrong' });
    assert.deepEqual(wrong, { continued: false, status: 403, type: 'UnrecognizedClientException' });
    const right = await post(readCredentials(topicd.running.credentialsPath));
    assert.deepEqual(right, { continued: true, status: 200, type: undefined });
  });

  it('iot-data sdk - UpdateThingShadow, GetThingShadow, named shadows, ListNamedShadowsForThing, DeleteThingShadow', async () => {
    const thingName = 'rest-lamp';
    const updated = json((await signed.send(new UpdateThingShadowCommand({ thingName, payload: body({ state: { desired: { on: true } }, clientToken: 'c1' }) }))).payload);
    assert.equal(updated.version, 1);
    assert.equal(updated.clientToken, 'c1');
    const got = json((await certified.send(new GetThingShadowCommand({ thingName }))).payload);
    assert.deepEqual(got.state, { desired: { on: true }, delta: { on: true } });
    assert.equal(got.version, 1);

    for (const shadowName of ['beta', 'alpha']) {
      await certified.send(new UpdateThingShadowCommand({ thingName, shadowName, payload: body({ state: { reported: { n: shadowName } } }) }));
    }
    const named = json((await signed.send(new GetThingShadowCommand({ thingName, shadowName: 'alpha' }))).payload);
    assert.deepEqual(named.state, { reported: { n: 'alpha' } });
    const listed = await signed.send(new ListNamedShadowsForThingCommand({ thingName, pageSize: 1 }));
    assert.deepEqual(listed.results, ['alpha']);
    assert.ok(listed.nextToken);
    assert.equal(typeof listed.timestamp, 'number');
    const rest = await signed.send(new ListNamedShadowsForThingCommand({ thingName, nextToken: listed.nextToken }));
    assert.deepEqual(rest.results, ['beta']);
    assert.deepEqual((await signed.send(new ListNamedShadowsForThingCommand({ thingName: 'no-such-thing' }))).results, []);

    const deleted = json((await signed.send(new DeleteThingShadowCommand({ thingName }))).payload);
    assert.equal(deleted.version, 1);
    await rejectsWith(signed.send(new GetThingShadowCommand({ thingName })), ResourceNotFoundException, 404, /No shadow exists with name: 'rest-lamp'/);
    await rejectsWith(signed.send(new DeleteThingShadowCommand({ thingName })), ResourceNotFoundException, 404);
    await rejectsWith(signed.send(new GetThingShadowCommand({ thingName, shadowName: 'gamma' })), ResourceNotFoundException, 404, /'gamma'/);
  });

  it('iot-data sdk - a device certificate on the ALPN port with ALPN x-amzn-http-ca: shadow and retained calls, as on 8443', async () => {
    const alpn = client(topicd.running.ports.alpn!, { accessKeyId: 'AKIAIGNORED', secretAccessKey: 'ignored' },
      { cert: device.cert, key: device.key }, {}, ['x-amzn-http-ca']);
    const updated = json((await alpn.send(new UpdateThingShadowCommand({ thingName: 'alpn-lamp', payload: body({ state: { reported: { via: 'alpn' } } }) }))).payload);
    assert.equal(updated.version, 1);
    assert.deepEqual(json((await alpn.send(new GetThingShadowCommand({ thingName: 'alpn-lamp' }))).payload).state, { reported: { via: 'alpn' } });
    await alpn.send(new PublishCommand({ topic: 'sdk/alpn', payload: Buffer.from('x') }));
  });

  it('iot-data sdk - shadow errors: 400 invalid JSON and state, 409 version conflict, 413 over 8 KB, 415 not UTF-8', async () => {
    const thingName = 'rest-errors';
    const update = (payload: Uint8Array) => signed.send(new UpdateThingShadowCommand({ thingName, payload }));
    await rejectsWith(update(Buffer.from('{not json')), InvalidRequestException, 400, /^Invalid JSON$/);
    await rejectsWith(update(body({ desired: {} })), InvalidRequestException, 400, /Missing required node: state/);
    await rejectsWith(update(body({ state: { desired: 5 } })), InvalidRequestException, 400, /Desired node must be an object/);
    await rejectsWith(update(body({ state: { desired: { a: 1 } }, clientToken: 'x'.repeat(65) })), InvalidRequestException, 400, /Invalid clientToken/);
    await rejectsWith(update(body({ state: { desired: { a: { b: { c: { d: { e: { f: 1 } } } } } } } })), InvalidRequestException, 400, /too many levels of nesting/);
    await rejectsWith(update(body({ state: { desired: { big: 'x'.repeat(9000) } } })), RequestEntityTooLargeException, 413);
    await rejectsWith(update(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), UnsupportedDocumentEncodingException, 415);
    await update(body({ state: { desired: { a: 1 } } }));
    await rejectsWith(update(body({ state: { desired: { a: 2 } }, version: 5 })), ConflictException, 409, /Version conflict/);
    await rejectsWith(signed.send(new GetThingShadowCommand({ thingName: 'bad name!' })), InvalidRequestException, 400);
  });

  it('iot-data sdk - a restricted access key and a device without shadow actions are refused 403; bad signatures are refused', async () => {
    const region = topicd.running.config.region;
    const admin = new ControlClient({ url: topicd.running.controlUrl, region, credentials: readCredentials(topicd.running.credentialsPath) });
    const key = await admin.request<{ accessKeyId: string; secretAccessKey: string }>('POST', '/topicd/access-keys');
    const restricted = client(topicd.running.ports.alpn!, key);
    await rejectsWith(restricted.send(new PublishCommand({ topic: 'sdk/denied', payload: Buffer.from('x') })), ForbiddenException, 403);
    await rejectsWith(restricted.send(new GetThingShadowCommand({ thingName: 'rest-lamp' })), ForbiddenException, 403);
    await rejectsWith(restricted.send(new ListRetainedMessagesCommand({})), ForbiddenException, 403);

    const publishOnly = await createDevice(topicd, 'publish-only', {
      name: 'publish-only', document: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: '*' }] }),
    });
    const limited = client(topicd.running.ports.https, { accessKeyId: 'AKIAIGNORED', secretAccessKey: 'ignored' }, { cert: publishOnly.cert, key: publishOnly.key });
    await limited.send(new PublishCommand({ topic: 'sdk/allowed', payload: Buffer.from('x') }));
    await rejectsWith(limited.send(new UpdateThingShadowCommand({ thingName: 'publish-only', payload: body({ state: { reported: {} } }) })), ForbiddenException, 403);

    const named = (err: unknown, name: string): boolean => (err as Error).name === name && (err as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode === 403;
    const wrongSecret = client(topicd.running.ports.alpn!, { accessKeyId: key.accessKeyId, secretAccessKey: 'x'.repeat(40) });
    await assert.rejects(wrongSecret.send(new ListRetainedMessagesCommand({})), (err) => named(err, 'InvalidSignatureException'));
    const unknown = client(topicd.running.ports.alpn!, { accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'x'.repeat(40) });
    await assert.rejects(unknown.send(new ListRetainedMessagesCommand({})), (err) => named(err, 'UnrecognizedClientException'));
    const skewed = client(topicd.running.ports.alpn!, readCredentials(topicd.running.credentialsPath), {}, { systemClockOffset: -20 * 60 * 1000 });
    await assert.rejects(skewed.send(new ListRetainedMessagesCommand({})), (err) => named(err, 'InvalidSignatureException') && /Signature/.test((err as Error).message));
  });
});

describe('iot-data sdk - shadow rate quota (--shadow-rate)', () => {
  let topicd: TestTopicd;
  before(async () => {
    topicd = await startTestTopicd({ shadowRate: 1 });
  });
  after(() => topicd.stop());

  it('iot-data sdk - past --shadow-rate requests per second of one thing: 429 ThrottlingException; another thing is not held back', async () => {
    const ca = readFileSync(topicd.running.caPath, 'utf8');
    const sdk = new IoTDataPlaneClient({
      endpoint: `https://localhost:${topicd.running.ports.alpn}`, region: topicd.running.config.region, maxAttempts: 1,
      credentials: readCredentials(topicd.running.credentialsPath), requestHandler: new NodeHttpHandler({ httpsAgent: new Agent({ ca }) }),
    });
    try {
      const update = (thingName: string) => sdk.send(new UpdateThingShadowCommand({ thingName, payload: body({ state: { reported: { t: Date.now() } } }) }));
      // Several at once, so at least two fall in the same second.
      const results = await Promise.allSettled([update('busy'), update('busy'), update('busy')]);
      const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as Error & { $metadata: { httpStatusCode: number } });
      assert.ok(refused.length >= 1, 'some update was refused');
      for (const err of refused) {
        assert.ok(err instanceof ThrottlingException, err.name);
        assert.equal(err.$metadata.httpStatusCode, 429);
      }
      await update('quiet');
    } finally {
      sdk.destroy();
    }
  });
});
