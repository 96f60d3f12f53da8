/**
 * Two defects the fuzz test found (issue 10) in the shutdown.
 * - A v5 client with a will delay, connected at shutdown, has its will scheduled (the server closed the
 *   connection [MQTT-3.1.2-8]); the will's timer then fires after the store is closed and reports an
 *   unexpected error ("The database connection is not open"): the Broker needs a close() clearing its timers.
 * - An HTTPS request pipelined behind one refused before its body was read, whose client then goes
 *   away, is counted in flight for ever (its response never gets a socket, so never emits 'close'):
 *   close() then waits its whole 5 s deadline.
 */
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { connect as tlsConnect } from 'node:tls';
import { describe, it } from 'node:test';
import { UNEXPECTED_ERROR_CHANNEL } from '../../src/observe/error-log.js';
import { connectMqtt, createDevice, startTestTopicd } from '../helpers/topicd.js';

describe('shutdown', () => {
  it('shutdown - a delayed will pending at shutdown does not fire into the closed store', async () => {
    const topicd = await startTestTopicd({ profile: 'mqtt' });
    const errors: string[] = [];
    const onError = (message: unknown): void => { errors.push(String((message as { err: unknown }).err)); };
    subscribe(UNEXPECTED_ERROR_CHANNEL, onError);
    try {
      const device = await createDevice(topicd, 'will-at-shutdown');
      const client = await connectMqtt(topicd, device, {
        protocolVersion: 5, clientId: 'will-at-shutdown', properties: { sessionExpiryInterval: 60 },
        will: { topic: 'things/will-at-shutdown/gone', payload: Buffer.from('x'), qos: 1, retain: false, properties: { willDelayInterval: 1 } },
      });
      client.on('error', () => undefined);
      await topicd.stop();
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      client.end(true);
      assert.deepEqual(errors, []);
    } finally {
      unsubscribe(UNEXPECTED_ERROR_CHANNEL, onError);
    }
  });

  it('shutdown - an HTTPS request pipelined behind a refused one, its client gone, does not hold close() for its deadline', async () => {
    const topicd = await startTestTopicd();
    const device = await createDevice(topicd, 'pipelined');
    // retain=maybe is refused before the body is read; the second request never completes.
    const bytes = 'POST /topics/a?retain=maybe HTTP/1.1\r\nhost: x\r\ncontent-length: 1\r\n\r\nx'
      + 'POST /topics/a HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n0123';
    await new Promise<void>((resolve) => {
      const socket = tlsConnect({ host: 'localhost', port: topicd.running.ports.https, servername: 'localhost', ca: device.ca, cert: device.cert, key: device.key },
        () => socket.write(bytes));
      socket.on('error', () => undefined);
      setTimeout(() => { socket.destroy(); resolve(); }, 300);
    });
    const started = Date.now();
    await topicd.stop();
    assert.ok(Date.now() - started < 2_000, `close() took ${Date.now() - started} ms`);
  });
});
