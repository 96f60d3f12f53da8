/**
 * 19-properties: MQTT 5 publish properties carried from publisher to subscriber (user properties,
 * response topic, correlation data, payload format indicator, content type), from MQTT 5 and from
 * HTTPS (AWS's query parameters and x-amz-mqtt5-* headers); a 3.1.1 subscriber gets the message
 * without them; a subscriber's Maximum Packet Size is respected.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conformanceBroker, connectPacket, publishPacket, subscribePacket, type RawClient } from '../helpers/raw-mqtt.js';
import { httpsPost } from '../helpers/topicd.js';

describe('19-properties', () => {
  const broker = conformanceBroker('properties-device');

  async function connected(version: 4 | 5, id: string, properties?: Record<string, number>): Promise<RawClient> {
    const c = await broker.open();
    c.send(connectPacket(version, id, properties ? { properties } : {}));
    assert.equal((await c.packet(version)).cmd, 'connack');
    return c;
  }

  async function subscribed(version: 4 | 5, id: string, filter: string, properties?: Record<string, number>): Promise<RawClient> {
    const c = await connected(version, id, properties);
    c.send(subscribePacket(version, filter, 1));
    assert.equal((await c.packet(version)).cmd, 'suback');
    return c;
  }

  it('19-properties - [MQTT-3.3.2-17] [MQTT-3.3.2-18] v5 properties reach a v5 subscriber as sent; a v3.1.1 subscriber gets the bare message', async () => {
    const sub5 = await subscribed(5, 'props-sub5', 'props/a');
    const sub4 = await subscribed(4, 'props-sub4', 'props/a');
    const pub = await connected(5, 'props-pub');
    pub.send(publishPacket(5, 'props/a', '{"on":true}', 1, {
      messageId: 3,
      properties: {
        payloadFormatIndicator: true,
        contentType: 'application/json',
        responseTopic: 'props/reply',
        correlationData: Buffer.from([0x00, 0x01, 0xfe]),
        userProperties: { site: 'berlin', tag: ['one', 'two'] },
      },
    }));
    assert.equal((await pub.packet(5)).cmd, 'puback');

    const p = await sub5.packet(5);
    assert.ok(p.cmd === 'publish');
    assert.equal(p.properties?.payloadFormatIndicator, true);
    assert.equal(p.properties?.contentType, 'application/json');
    assert.equal(p.properties?.responseTopic, 'props/reply');
    assert.deepEqual(p.properties?.correlationData, Buffer.from([0x00, 0x01, 0xfe]));
    assert.deepEqual(Object.entries(p.properties?.userProperties ?? {}), [['site', 'berlin'], ['tag', ['one', 'two']]], 'repeated names kept, in order');
    assert.equal(p.payload.toString(), '{"on":true}');

    const q = await sub4.packet(4);
    assert.ok(q.cmd === 'publish');
    assert.equal(q.payload.toString(), '{"on":true}');
    assert.equal(q.properties, undefined);
    for (const c of [sub5, sub4, pub]) c.close();
  });

  it('19-properties - AWS: an HTTPS publish carries contentType, responseTopic and the x-amz-mqtt5-* headers to a v5 subscriber', async () => {
    const sub = await subscribed(5, 'props-https-sub', 'props/https');
    const { topicd, device } = broker;
    const userProperties = Buffer.from(JSON.stringify([{ deviceName: 'alpha' }, { deviceCnt: '45' }])).toString('base64');
    const { status } = await httpsPost(topicd, device, '/topics/props%2Fhttps?qos=1&contentType=text%2Fplain&responseTopic=props%2Fback', 'hello', {
      headers: {
        'x-amz-mqtt5-user-properties': userProperties,
        'x-amz-mqtt5-payload-format-indicator': 'UTF8_DATA',
        'x-amz-mqtt5-correlation-data': Buffer.from('corr-7').toString('base64'),
      },
    });
    assert.equal(status, 200);
    const p = await sub.packet(5);
    assert.ok(p.cmd === 'publish');
    assert.equal(p.properties?.contentType, 'text/plain');
    assert.equal(p.properties?.responseTopic, 'props/back');
    assert.equal(p.properties?.payloadFormatIndicator, true);
    assert.deepEqual(p.properties?.correlationData, Buffer.from('corr-7'));
    assert.deepEqual(Object.entries(p.properties?.userProperties ?? {}), [['deviceName', 'alpha'], ['deviceCnt', '45']], 'in the header\'s order');
    sub.close();
  });

  it('19-properties - [MQTT-3.1.2-25] a message larger than the subscriber\'s Maximum Packet Size is not sent to it', async () => {
    const small = await subscribed(5, 'props-small', 'props/size', { maximumPacketSize: 64 });
    const pub = await connected(5, 'props-size-pub');
    pub.send(publishPacket(5, 'props/size', 'x'.repeat(200), 0));
    pub.send(publishPacket(5, 'props/size', 'fits', 0));
    const p = await small.packet(5);
    assert.ok(p.cmd === 'publish' && p.payload.toString() === 'fits', 'the oversized one was dropped, the next delivered');
    small.close();
    pub.close();
  });
});
