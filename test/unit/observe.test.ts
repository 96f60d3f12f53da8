/**
 * The observe/ parts in process: readiness checks that fail, throw or hang; the metrics' text from
 * the hot path's counters (every label present from the start, values copied at scrape time); the
 * fixed label sets of HTTPS routes and TLS handshake failures, so a client cannot make labels up.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counters, DROP_QUEUE_FULL, PROTOCOL_HTTPS, PROTOCOL_MQTT5 } from '../../src/observe/counters.js';
import { Readiness } from '../../src/observe/health.js';
import { createNodeMetrics } from '../../src/observe/metrics.js';
import { httpsRoute } from '../../src/transports/https-metrics.js';
import { handshakeFailureReason } from '../../src/transports/tls-listeners.js';
import { parseMetrics, valueOf } from '../helpers/metrics-text.js';

describe('observe - readiness, metrics and labels', () => {
  it('readiness - every check is asked; false, a reason, a throw and no answer are each not ready', async () => {
    const readiness = new Readiness(50);
    readiness.register('ok', () => true);
    readiness.register('no', () => false);
    readiness.register('why', async () => 'bus not connected');
    readiness.register('throws', () => { throw new Error('disk full'); });
    readiness.register('hangs', () => new Promise<boolean>(() => undefined));
    const report = await readiness.report();
    assert.equal(report.ready, false);
    assert.deepEqual(report.checks, {
      ok: { ready: true }, no: { ready: false, reason: 'not ready' }, why: { ready: false, reason: 'bus not connected' },
      throws: { ready: false, reason: 'disk full' }, hangs: { ready: false, reason: 'no answer within 50 ms' },
    });
  });

  it('readiness - a removed check is no longer asked; removing a replaced one keeps its replacement', async () => {
    const readiness = new Readiness();
    const removeFirst = readiness.register('bus', () => false);
    readiness.register('bus', () => true);
    removeFirst();
    assert.deepEqual(await readiness.report(), { ready: true, checks: { bus: { ready: true } } });
    const remove = readiness.register('store', () => 'closed');
    remove();
    assert.deepEqual(readiness.names(), ['bus']);
  });

  it('metrics - counters are copied at scrape time, every label present at 0 from the start', async () => {
    const counters = new Counters();
    const metrics = createNodeMetrics({ counters, connections: () => [{ transport: 'websocket', protocolVersion: 5 }], queuedMessages: () => 7 });
    const first = parseMetrics(await metrics.registry.metrics());
    assert.equal(first.filter((s) => s.name === 'topicd_messages_received_total').length, 9, '3 protocols x 3 QoS');
    assert.equal(valueOf(first, 'topicd_messages_received_total'), 0);
    assert.equal(first.filter((s) => s.name === 'topicd_messages_dropped_total').length, 5);
    counters.received[PROTOCOL_HTTPS * 3 + 1]! += 2;
    counters.delivered[PROTOCOL_MQTT5 * 3 + 0]! += 5;
    counters.dropped[DROP_QUEUE_FULL]! += 1;
    counters.denied('iot:Subscribe');
    counters.tlsFailure('no-certificate');
    counters.httpsResponse('publish', 429);
    metrics.storeWriteSeconds.observe({ result: 'committed' }, 0.002);
    const now = parseMetrics(await metrics.registry.metrics());
    assert.equal(valueOf(now, 'topicd_messages_received_total', { protocol: 'https', qos: '1' }), 2);
    assert.equal(valueOf(now, 'topicd_messages_delivered_total', { protocol: 'mqtt5', qos: '0' }), 5);
    assert.equal(valueOf(now, 'topicd_messages_dropped_total', { reason: 'queue-full' }), 1);
    assert.equal(valueOf(now, 'topicd_authorization_denials_total', { action: 'iot:Subscribe' }), 1);
    assert.equal(valueOf(now, 'topicd_tls_handshake_failures_total', { reason: 'no-certificate' }), 1);
    assert.equal(valueOf(now, 'topicd_https_requests_total', { route: 'publish', status: '429' }), 1);
    assert.equal(valueOf(now, 'topicd_connections', { transport: 'websocket', protocol: '5' }), 1);
    assert.equal(valueOf(now, 'topicd_queued_messages'), 7);
    assert.equal(valueOf(now, 'topicd_store_write_seconds_bucket', { result: 'committed', le: '0.0025' }), 1);
    assert.equal(valueOf(now, 'topicd_store_write_seconds_bucket', { result: 'committed', le: '0.001' }), 0);
    assert.deepEqual(counters.totals(), { messagesIn: 2, messagesOut: 5, dropped: 1, denied: 1 });
  });

  it('metrics - HTTPS routes and TLS failure reasons come from fixed sets, never from the client', () => {
    assert.deepEqual(
      ['/topics/a/b?qos=1', '/things/t/shadow', '/retainedMessage', '/retainedMessage/x', '/api/things/shadow/ListNamedShadowsForThing/t', '/mqtt', '/x', '', undefined, 'topics'].map(httpsRoute),
      ['publish', 'shadow', 'retained', 'retained', 'shadow', 'mqtt-upgrade', 'other', 'other', 'other', 'other'],
    );
    const reason = (fields: { code?: string; reason?: string; message: string }): string =>
      handshakeFailureReason(Object.assign(new Error(fields.message), fields));
    assert.equal(reason({ code: 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL', message: 'no application protocol' }), 'no-alpn-match');
    assert.equal(reason({ code: 'ERR_TLS_HANDSHAKE_TIMEOUT', message: 'TLS handshake timeout' }), 'timeout');
    assert.equal(reason({ code: 'ERR_SSL_WRONG_VERSION_NUMBER', message: 'wrong version number' }), 'protocol');
    assert.equal(reason({ code: 'ECONNRESET', message: 'socket hang up' }), 'connection-reset');
    assert.equal(reason({ code: 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE', message: 'peer did not return a certificate' }), 'no-certificate');
    assert.equal(reason({ message: 'something new' }), 'other');
  });
});
