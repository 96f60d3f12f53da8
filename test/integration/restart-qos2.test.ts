/**
 * In the mqtt profile, QoS 2 deliveries owed to a persistent session survive a SIGKILL with their
 * state: a PUBLISH that was sent goes again under its packet id with DUP, one the client received
 * (PUBREC) gets only its PUBREL again, and one never sent goes out fresh [MQTT-4.4.0-1]. Inbound,
 * the packet ids a persistent publisher is still releasing survive too: a PUBLISH it resends after
 * the restart is acknowledged but not routed twice [MQTT-4.3.3-10].
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { RuntimeInfo } from '../../src/config/data-files.js';
import { RawClient, connectPacket, publishPacket, subscribePacket } from '../helpers/raw-mqtt.js';
import { RestartableTopicd, createThingAllowingAll } from '../helpers/tools.js';

const hexId = (id: number): string => id.toString(16).padStart(4, '0');

describe('restart - QoS 2 state survives SIGKILL (profile mqtt)', () => {
  const rig = new RestartableTopicd('topicd-restart-qos2-', ['--profile', 'mqtt']);
  const { dataDir, deviceDir } = rig;
  const start = (): Promise<RuntimeInfo> => rig.start();
  const files = (): { ca: string; cert: string; key: string } => rig.files();

  after(() => rig.cleanup());

  it('restart - QoS 2 messages owed keep their packet ids and PUBREL state across SIGKILL', async () => {
    let runtime = await start();
    assert.match(rig.server!.stdout(), /Profile\s+mqtt/);
    const created = await createThingAllowingAll(dataDir, 'restart-qos2', deviceDir);
    assert.equal(created.code, 0, created.stderr);

    const sub = await RawClient.open(runtime.mqttPort, files());
    sub.send(connectPacket(4, 'q2-restart', { clean: false }));
    await sub.expect('20 02 00 00', 'CONNACK, new session');
    sub.send(subscribePacket(4, 'q2r/t', 2));
    await sub.expect('90 03 0001 02', 'SUBACK QoS 2');

    const pub = await RawClient.open(runtime.mqttPort, files());
    pub.send(connectPacket(4, 'q2-restart-pub'));
    await pub.expect('20 02 00 00');
    const publish = async (n: number): Promise<void> => {
      pub.send(publishPacket(4, 'q2r/t', `m${n}`, 2, { messageId: n }));
      await pub.expect(`50 02 ${hexId(n)}`, 'PUBREC');
      pub.send(`62 02 ${hexId(n)}`);
      await pub.expect(`70 02 ${hexId(n)}`, 'PUBCOMP');
    };
    await publish(1);
    await publish(2);
    const ids: number[] = [];
    for (const want of ['m1', 'm2']) {
      const p = await sub.packet(4);
      assert.ok(p.cmd === 'publish' && p.qos === 2 && p.payload.toString() === want);
      ids.push(p.messageId!);
    }
    // m1 received (PUBREC, PUBREL comes back), m2 not.
    sub.send(`50 02 ${hexId(ids[0]!)}`);
    await sub.expect(`62 02 ${hexId(ids[0]!)}`, 'PUBREL');
    sub.close();
    await new Promise((r) => setTimeout(r, 200));
    // m3 comes while the session is offline.
    await publish(3);
    pub.close();

    rig.server!.child.kill('SIGKILL');
    assert.equal((await rig.server!.exited).signal, 'SIGKILL');
    runtime = await start();

    const back = await RawClient.open(runtime.mqttPort, files());
    back.send(connectPacket(4, 'q2-restart', { clean: false }));
    await back.expect('20 02 01 00', 'CONNACK, session present');
    await back.expect(`62 02 ${hexId(ids[0]!)}`, 'm1: only the PUBREL');
    const again = await back.packet(4);
    assert.ok(again.cmd === 'publish' && again.payload.toString() === 'm2');
    assert.equal(again.dup, true, 'm2: DUP');
    assert.equal(again.messageId, ids[1], 'm2: its packet id');
    const fresh = await back.packet(4);
    assert.ok(fresh.cmd === 'publish' && fresh.payload.toString() === 'm3' && fresh.qos === 2 && fresh.dup === false, 'm3: sent fresh');
    assert.ok(!ids.includes(fresh.messageId!), 'm3: a packet id not in use');
    back.send(`70 02 ${hexId(ids[0]!)}`);
    for (const id of [ids[1]!, fresh.messageId!]) {
      back.send(`50 02 ${hexId(id)}`);
      await back.expect(`62 02 ${hexId(id)}`, 'PUBREL');
      back.send(`70 02 ${hexId(id)}`);
    }
    back.send('c0 00');
    await back.expect('d0 00', 'nothing else owed');
    back.close();
    rig.server!.child.kill('SIGTERM');
    assert.equal((await rig.server!.exited).code, 0);
  });

  it('restart - [MQTT-4.3.3-10] a QoS 2 PUBLISH received before SIGKILL and resent after it is routed once', async () => {
    let runtime = await start();
    const sub = await RawClient.open(runtime.mqttPort, files());
    sub.send(connectPacket(4, 'q2-once-sub', { clean: false }));
    await sub.expect('20 02 00 00');
    sub.send(subscribePacket(4, 'q2once/t', 1));
    await sub.expect('90 03 0001 01', 'SUBACK QoS 1');

    // A v5 publisher with a persistent session: PUBLISH, PUBREC, and then the process dies before its PUBREL.
    const pub = await RawClient.open(runtime.mqttPort, files());
    pub.send(connectPacket(5, 'q2-once-pub', { clean: false, properties: { sessionExpiryInterval: 600 } }));
    assert.equal((await pub.packet(5)).cmd, 'connack');
    pub.send(publishPacket(5, 'q2once/t', 'once', 2, { messageId: 9 }));
    await pub.expect('50 02 0009', 'PUBREC');
    const first = await sub.packet(4);
    assert.ok(first.cmd === 'publish' && first.payload.toString() === 'once');
    sub.send(`40 02 ${hexId(first.messageId!)}`);
    await new Promise((r) => setTimeout(r, 200));

    rig.server!.child.kill('SIGKILL');
    assert.equal((await rig.server!.exited).signal, 'SIGKILL');
    runtime = await start();

    const subBack = await RawClient.open(runtime.mqttPort, files());
    subBack.send(connectPacket(4, 'q2-once-sub', { clean: false }));
    await subBack.expect('20 02 01 00', 'CONNACK, session present');
    const pubBack = await RawClient.open(runtime.mqttPort, files());
    pubBack.send(connectPacket(5, 'q2-once-pub', { clean: false, properties: { sessionExpiryInterval: 600 } }));
    const connack = await pubBack.packet(5);
    assert.ok(connack.cmd === 'connack' && connack.sessionPresent === true, 'the publisher\'s session is back');
    // It never saw the PUBREC, so it resends the PUBLISH with DUP [MQTT-4.4.0-1].
    pubBack.send(publishPacket(5, 'q2once/t', 'once', 2, { messageId: 9, dup: true }));
    await pubBack.expect('50 02 0009', 'PUBREC again');
    pubBack.send('62 02 0009');
    await pubBack.expect('70 02 0009', 'PUBCOMP, success: the id was known across the restart');
    subBack.send('c0 00');
    await subBack.expect('d0 00', 'the resent PUBLISH was not routed again');

    // The id is free again after PUBCOMP: a new PUBLISH under it is a new message [MQTT-4.3.3-12].
    pubBack.send(publishPacket(5, 'q2once/t', 'twice', 2, { messageId: 9 }));
    await pubBack.expect('50 02 0009');
    const next = await subBack.packet(4);
    assert.ok(next.cmd === 'publish' && next.payload.toString() === 'twice');
    subBack.send(`40 02 ${hexId(next.messageId!)}`);
    pubBack.send('62 02 0009');
    await pubBack.expect('70 02 0009');
    pubBack.close();
    subBack.close();
    rig.server!.child.kill('SIGTERM');
    assert.equal((await rig.server!.exited).code, 0);
  });
});
