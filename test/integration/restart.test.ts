/**
 * What topicd acknowledged survives a SIGKILL: retained messages (from HTTPS and MQTT publishes, with
 * their MQTT 5 properties) and the QoS 1 messages owed to persistent sessions are delivered after a
 * restart on the same data dir.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { after, describe, it } from 'node:test';
import mqtt from 'mqtt';
import type { RuntimeInfo } from '../../src/config/data-files.js';
import { collect, endClient } from '../helpers/topicd.js';
import { RestartableTopicd, createThingAllowingAll, run } from '../helpers/tools.js';

describe('restart - acknowledged data survives SIGKILL', () => {
  const rig = new RestartableTopicd('topicd-restart-');
  const { dataDir, deviceDir } = rig;
  const start = (): Promise<RuntimeInfo> => rig.start();
  const files = (): { ca: string; cert: string; key: string } => rig.files();

  after(() => rig.cleanup());

  it('restart - retained messages come back after SIGKILL, deleted ones do not', async () => {
    let runtime = await start();
    const created = await createThingAllowingAll(dataDir, 'restart-device', deviceDir);
    assert.equal(created.code, 0, created.stderr);
    const curl = (path: string, data: string) => run('curl', ['-sS', '--cacert', join(deviceDir, 'root-CA.pem'), '--cert', join(deviceDir, 'device.pem.crt'),
      '--key', join(deviceDir, 'private.pem.key'), '--data-binary', data, `https://localhost:${runtime.httpsPort}${path}`]);
    assert.match((await curl('/topics/keep%2Fhttps?retain=true&contentType=text%2Fplain', 'from https')).stdout, /"OK"/);
    assert.match((await curl('/topics/gone?retain=true', 'soon deleted')).stdout, /"OK"/);
    assert.match((await curl('/topics/gone?retain=true', '')).stdout, /"OK"/);
    const pub = await mqtt.connectAsync(`mqtts://localhost:${runtime.mqttPort}`, { ...files(), protocolVersion: 5, reconnectPeriod: 0 });
    await pub.publishAsync('keep/mqtt', Buffer.from([0, 1, 2, 255]), { qos: 1, retain: true, properties: { userProperties: { k: 'v' } } });
    await endClient(pub);

    rig.server!.child.kill('SIGKILL');
    const { signal } = await rig.server!.exited;
    assert.equal(signal, 'SIGKILL');

    runtime = await start();
    const sub = await mqtt.connectAsync(`mqtts://localhost:${runtime.mqttPort}`, { ...files(), protocolVersion: 5, reconnectPeriod: 0 });
    const got = collect(sub);
    await sub.subscribeAsync(['keep/https', 'keep/mqtt', 'gone'], { qos: 1 });
    const https = await got.waitForTopic('keep/https');
    assert.equal(https.payload.toString(), 'from https');
    assert.equal(https.packet.retain, true);
    assert.equal(https.packet.properties?.contentType, 'text/plain');
    const viaMqtt = await got.waitForTopic('keep/mqtt');
    assert.deepEqual(viaMqtt.payload, Buffer.from([0, 1, 2, 255]));
    assert.deepEqual({ ...viaMqtt.packet.properties?.userProperties }, { k: 'v' });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(got.messages.filter((m) => m.topic === 'gone').length, 0, 'the deleted retained message stays deleted');
    await endClient(sub);
    rig.server!.child.kill('SIGTERM');
    assert.equal((await rig.server!.exited).code, 0);
  });

  it('restart - QoS 1 messages queued for offline persistent sessions are delivered after SIGKILL, once each', async () => {
    let runtime = await start();
    const curl = (path: string, data: string) => run('curl', ['-sS', '--cacert', join(deviceDir, 'root-CA.pem'), '--cert', join(deviceDir, 'device.pem.crt'),
      '--key', join(deviceDir, 'private.pem.key'), '--data-binary', data, `https://localhost:${runtime.httpsPort}${path}`]);
    const connect = (clientId: string, protocolVersion: 4 | 5) => mqtt.connectAsync(`mqtts://localhost:${runtime.mqttPort}`, {
      ...files(), clientId, protocolVersion, clean: false, reconnectPeriod: 0,
      ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 3600 } } : {}),
    });
    // Two persistent subscribers, 3.1.1 and 5, go offline.
    for (const [id, version] of [['offline-4', 4], ['offline-5', 5]] as const) {
      const c = await connect(id, version);
      await c.subscribeAsync('queued/#', { qos: 1 });
      await endClient(c);
    }
    // Acknowledged publishes while they are away: HTTPS 200s and MQTT PUBACKs.
    for (let i = 0; i < 3; i++) assert.match((await curl(`/topics/queued%2Fhttps?qos=1`, `h${i}`)).stdout, /"OK"/);
    const pub = await mqtt.connectAsync(`mqtts://localhost:${runtime.mqttPort}`, { ...files(), protocolVersion: 5, reconnectPeriod: 0 });
    for (let i = 0; i < 3; i++) await pub.publishAsync('queued/mqtt', `m${i}`, { qos: 1 });
    await endClient(pub);

    rig.server!.child.kill('SIGKILL');
    await rig.server!.exited;
    runtime = await start();

    for (const [id, version] of [['offline-4', 4], ['offline-5', 5]] as const) {
      const c = mqtt.connect(`mqtts://localhost:${runtime.mqttPort}`, {
        ...files(), clientId: id, protocolVersion: version, clean: false, reconnectPeriod: 0,
        ...(version === 5 ? { properties: { sessionExpiryInterval: 3600 } } : {}),
      });
      // Listen before CONNACK: the owed messages follow it at once.
      const got = collect(c);
      const connack = await new Promise<{ sessionPresent: boolean }>((resolve, reject) => { c.once('connect', resolve); c.once('error', reject); });
      assert.equal(connack.sessionPresent, true, `${id}: session present after the restart`);
      const messages = await got.waitFor(6);
      assert.deepEqual(messages.map((m) => `${m.topic}=${m.payload.toString()}`),
        ['queued/https=h0', 'queued/https=h1', 'queued/https=h2', 'queued/mqtt=m0', 'queued/mqtt=m1', 'queued/mqtt=m2'], `${id}: all, in order`);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(got.messages.length, 6, `${id}: nothing twice`);
      await endClient(c);
    }
    rig.server!.child.kill('SIGTERM');
    await rig.server!.exited;
  });

  it('restart - HTTPS publishes answered 200 under load (16 connections, pipelined) are all delivered after a SIGKILL in their midst', async () => {
    let runtime = await start();
    const connect = (): Promise<mqtt.MqttClient> => mqtt.connectAsync(`mqtts://localhost:${runtime.mqttPort}`, {
      ...files(), clientId: 'offline-load', protocolVersion: 5, clean: false, reconnectPeriod: 0, properties: { sessionExpiryInterval: 3600 },
    });
    const away = await connect();
    await away.subscribeAsync('load/#', { qos: 1 });
    await endClient(away);

    // 16 keep-alive connections, each writing its requests 5 at a time; every 200's id is noted as it arrives.
    const answered = new Set<string>();
    const sockets: TLSSocket[] = [];
    const sent = await Promise.all(Array.from({ length: 16 }, (_, c) => new Promise<number>((resolve) => {
      const socket = tlsConnect({ host: 'localhost', port: runtime.httpsPort, ...files() }, () => {
        let next = 0;
        const ids: string[] = [];
        const batch = (): void => {
          if (next >= 50 || socket.destroyed) return resolve(next);
          let bytes = '';
          for (let i = 0; i < 5; i++, next++) {
            const id = `c${c}-${next}`;
            ids.push(id);
            bytes += `POST /topics/load%2F${c}?qos=1 HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${id.length}\r\n\r\n${id}`;
          }
          socket.write(bytes);
        };
        let text = '';
        socket.on('data', (chunk: Buffer) => {
          text += chunk.toString('latin1');
          let oks = 0;
          text = text.replace(/HTTP\/1\.1 200 OK\r\n[\s\S]*?\r\n\r\n\{"message":"OK","traceId":"[0-9a-f-]{36}"\}/g, () => {
            oks++;
            return '';
          });
          for (let i = 0; i < oks; i++) answered.add(ids.shift()!);
          if (ids.length === 0) batch();
        });
        batch();
      });
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(-1));
      sockets.push(socket);
    })).concat([(async () => {
      while (answered.size < 300) await new Promise((r) => setTimeout(r, 2));
      rig.server!.child.kill('SIGKILL');
      return 0;
    })()]));
    await rig.server!.exited;
    for (const s of sockets) s.destroy();
    assert.ok(answered.size >= 300 && answered.size < 800, `killed in the midst: ${answered.size} of 800 answered (${sent.join(',')})`);

    runtime = await start();
    const back = mqtt.connect(`mqtts://localhost:${runtime.mqttPort}`, {
      ...files(), clientId: 'offline-load', protocolVersion: 5, clean: false, reconnectPeriod: 0, properties: { sessionExpiryInterval: 3600 },
    });
    const got = collect(back);
    await new Promise((resolve, reject) => { back.once('connect', resolve); back.once('error', reject); });
    await got.waitFor(answered.size, 20_000);
    const delivered = new Set(got.messages.map((m) => m.payload.toString()));
    const lost = [...answered].filter((id) => !delivered.has(id));
    assert.deepEqual(lost, [], `every 200 survived (${answered.size} answered, ${delivered.size} delivered)`);
    await endClient(back);
    rig.server!.child.kill('SIGTERM');
    await rig.server!.exited;
  });
});
