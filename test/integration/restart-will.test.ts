/**
 * A delayed will (MQTT 5 Will Delay Interval) survives a SIGKILL: the will waiting when the process
 * died is still sent after the restart, when it is due; one whose client id connects again first
 * is not [MQTT-3.1.3-9].
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { RuntimeInfo } from '../../src/config/data-files.js';
import { RawClient, connectPacket, subscribePacket } from '../helpers/raw-mqtt.js';
import { RestartableTopicd, createThingAllowingAll } from '../helpers/tools.js';

describe('restart - delayed wills survive SIGKILL', () => {
  const rig = new RestartableTopicd('topicd-restart-will-');
  const { dataDir, deviceDir } = rig;
  const start = (): Promise<RuntimeInfo> => rig.start();
  const files = (): { ca: string; cert: string; key: string } => rig.files();
  /** A v5 client whose will (QoS 1, on wills/{id}) waits `delay` seconds; its session lasts 10 minutes. */
  const withWill = async (port: number, id: string, delay: number): Promise<RawClient> => {
    const c = await RawClient.open(port, files());
    c.send(connectPacket(5, id, {
      clean: false,
      will: { topic: `wills/${id}`, payload: Buffer.from(`${id} is gone`), qos: 1, retain: false, properties: { willDelayInterval: delay } },
      properties: { sessionExpiryInterval: 600 },
    }));
    assert.equal((await c.packet(5)).cmd, 'connack');
    return c;
  };

  after(() => rig.cleanup());

  it('restart - a delayed will waiting at SIGKILL is sent after the restart; one whose client reconnects is not', async () => {
    let runtime = await start();
    const created = await createThingAllowingAll(dataDir, 'restart-will', deviceDir);
    assert.equal(created.code, 0, created.stderr);

    // A persistent subscriber, offline during the restart: the wills are queued for it at QoS 1.
    const watcher = await RawClient.open(runtime.mqttPort, files());
    watcher.send(connectPacket(4, 'will-watcher', { clean: false }));
    await watcher.expect('20 02 00 00');
    watcher.send(subscribePacket(4, 'wills/+', 1));
    await watcher.expect('90 03 0001 01');
    watcher.close();

    const gone = await withWill(runtime.mqttPort, 'gone', 2);
    const back = await withWill(runtime.mqttPort, 'back', 8);
    const lostAt = Date.now();
    gone.close();
    back.close();
    await new Promise((r) => setTimeout(r, 300));

    rig.server!.child.kill('SIGKILL');
    assert.equal((await rig.server!.exited).signal, 'SIGKILL');
    runtime = await start();

    // `back` connects again before its will is due: that cancels it.
    const again = await RawClient.open(runtime.mqttPort, files());
    again.send(connectPacket(5, 'back', { clean: false, properties: { sessionExpiryInterval: 600 } }));
    const connack = await again.packet(5);
    assert.ok(connack.cmd === 'connack' && connack.sessionPresent === true);
    assert.ok(Date.now() - lostAt < 8_000, 'reconnected before the will of back was due');

    const watching = await RawClient.open(runtime.mqttPort, files());
    watching.send(connectPacket(4, 'will-watcher', { clean: false }));
    await watching.expect('20 02 01 00', 'CONNACK, session present');
    const will = await watching.packet(4);
    assert.ok(will.cmd === 'publish' && will.topic === 'wills/gone' && will.payload.toString() === 'gone is gone', 'the will of gone');
    assert.ok(Date.now() - lostAt >= 2_000, 'not before its delay');
    watching.send(`40 02 ${will.messageId!.toString(16).padStart(4, '0')}`);
    // Past the time the will of back would have been due.
    const wait = lostAt + 9_000 - Date.now();
    assert.equal((await watching.read(1, Math.max(wait, 0))).length, 0, 'no will for back: it came back in time');
    again.close();
    watching.close();
    rig.server!.child.kill('SIGTERM');
    assert.equal((await rig.server!.exited).code, 0);
  });
});
