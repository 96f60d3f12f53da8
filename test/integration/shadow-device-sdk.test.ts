/**
 * aws-iot-device-sdk-v2's shadow client (`iotshadow`, unmodified) against topicd over mutual TLS, as a
 * device uses it with AWS IoT: it subscribes to its shadow's reserved answer topics, publishes get,
 * update and delete requests, and receives the accepted documents, the delta and the error documents;
 * a second device sees the delta but not the first device's answers (AWS: replies go to the requester).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { iot, iotshadow, mqtt } from 'aws-iot-device-sdk-v2';
import { createDevice, startTestTopicd, type Device, type TestTopicd } from '../helpers/topicd.js';

/** A one-shot slot a message handler fills; `next()` waits for the next value. */
class Inbox<T> {
  private readonly values: T[] = [];
  private waiter: ((v: T) => void) | undefined;
  readonly push = (error: unknown, value: T | undefined): void => {
    if (error) throw error as Error;
    if (value === undefined) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(value);
    } else this.values.push(value);
  };

  next(what: string, timeoutMs = 5_000): Promise<T> {
    const ready = this.values.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      this.waiter = (v) => {
        clearTimeout(timer);
        resolve(v);
      };
    });
  }

  get size(): number {
    return this.values.length;
  }
}

async function connect(topicd: TestTopicd, device: Device, clientId: string): Promise<mqtt.MqttClientConnection> {
  const config = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder_from_path(device.certPath, device.keyPath)
    .with_certificate_authority_from_path(undefined, device.caPath)
    .with_endpoint('localhost')
    .with_port(topicd.running.ports.mqtt)
    .with_client_id(clientId)
    .with_clean_session(true)
    .build();
  const connection = new mqtt.MqttClient().new_connection(config);
  await connection.connect();
  return connection;
}

const QOS1 = mqtt.QoS.AtLeastOnce;

describe('shadow device sdk - aws-iot-device-sdk-v2 iotshadow over mTLS', () => {
  let topicd: TestTopicd;
  let device: Device;
  let connection: mqtt.MqttClientConnection;
  let other: mqtt.MqttClientConnection;
  let shadow: iotshadow.IotShadowClient;

  before(async () => {
    topicd = await startTestTopicd();
    device = await createDevice(topicd, 'shadow-sdk-device');
    connection = await connect(topicd, device, 'lamp-1');
    other = await connect(topicd, device, 'lamp-watcher');
    shadow = new iotshadow.IotShadowClient(connection);
  });
  after(async () => {
    await connection.disconnect();
    await other.disconnect();
    await topicd.stop();
  });

  it('shadow device sdk - classic shadow: get (404), update, delta, get, delete', async () => {
    const thingName = 'lamp-1';
    const getAccepted = new Inbox<iotshadow.model.GetShadowResponse>();
    const getRejected = new Inbox<iotshadow.model.ErrorResponse>();
    const updateAccepted = new Inbox<iotshadow.model.UpdateShadowResponse>();
    const delta = new Inbox<iotshadow.model.ShadowDeltaUpdatedEvent>();
    const documents = new Inbox<iotshadow.model.ShadowUpdatedEvent>();
    const deleteAccepted = new Inbox<iotshadow.model.DeleteShadowResponse>();
    await shadow.subscribeToGetShadowAccepted({ thingName }, QOS1, getAccepted.push);
    await shadow.subscribeToGetShadowRejected({ thingName }, QOS1, getRejected.push);
    await shadow.subscribeToUpdateShadowAccepted({ thingName }, QOS1, updateAccepted.push);
    await shadow.subscribeToShadowDeltaUpdatedEvents({ thingName }, QOS1, delta.push);
    await shadow.subscribeToShadowUpdatedEvents({ thingName }, QOS1, documents.push);
    await shadow.subscribeToDeleteShadowAccepted({ thingName }, QOS1, deleteAccepted.push);
    // Another client watching the get answers: AWS sends them to the requester alone.
    const otherShadow = new iotshadow.IotShadowClient(other);
    const otherGets = new Inbox<iotshadow.model.GetShadowResponse>();
    const otherDelta = new Inbox<iotshadow.model.ShadowDeltaUpdatedEvent>();
    await otherShadow.subscribeToGetShadowAccepted({ thingName }, QOS1, otherGets.push);
    await otherShadow.subscribeToShadowDeltaUpdatedEvents({ thingName }, QOS1, otherDelta.push);

    await shadow.publishGetShadow({ thingName, clientToken: 'get-1' }, QOS1);
    const missing = await getRejected.next('/get/rejected');
    assert.equal(missing.code, 404);
    assert.equal(missing.message, "No shadow exists with name: 'lamp-1'");
    assert.equal(missing.clientToken, 'get-1');

    await shadow.publishUpdateShadow({ thingName, clientToken: 'up-1', state: { desired: { color: 'red', on: true }, reported: { color: 'blue', on: true } } }, QOS1);
    const accepted = await updateAccepted.next('/update/accepted');
    assert.equal(accepted.version, 1);
    assert.equal(accepted.clientToken, 'up-1');
    assert.deepEqual(accepted.state?.desired, { color: 'red', on: true });
    assert.equal(typeof (accepted.metadata?.desired as { color?: { timestamp?: number } } | undefined)?.color?.timestamp, 'number');
    const d = await delta.next('/update/delta');
    assert.deepEqual(d.state, { color: 'red' });
    assert.equal(d.version, 1);
    assert.deepEqual((await otherDelta.next('/update/delta at the other client')).state, { color: 'red' });
    const docs = await documents.next('/update/documents');
    assert.equal(docs.previous, undefined);
    assert.deepEqual(docs.current?.state?.reported, { color: 'blue', on: true });

    await shadow.publishGetShadow({ thingName, clientToken: 'get-2' }, QOS1);
    const got = await getAccepted.next('/get/accepted');
    assert.equal(got.version, 1);
    assert.equal(got.clientToken, 'get-2');
    assert.deepEqual(got.state?.delta, { color: 'red' });
    assert.deepEqual(got.state?.reported, { color: 'blue', on: true });

    // The device reports the desired colour: no delta any more.
    await shadow.publishUpdateShadow({ thingName, state: { reported: { color: 'red' } }, version: 1 }, QOS1);
    assert.equal((await updateAccepted.next('/update/accepted 2')).version, 2);
    const docs2 = await documents.next('/update/documents 2');
    assert.equal(docs2.previous?.version, 1);
    assert.equal(docs2.current?.version, 2);

    await shadow.publishDeleteShadow({ thingName, clientToken: 'del-1' }, QOS1);
    const deleted = await deleteAccepted.next('/delete/accepted');
    assert.equal(deleted.version, 2);
    assert.equal(deleted.clientToken, 'del-1');
    await shadow.publishGetShadow({ thingName }, QOS1);
    assert.equal((await getRejected.next('/get/rejected after delete')).code, 404);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(otherGets.size, 0, 'the other client saw none of the get answers');
    assert.equal(delta.size, 0, 'no delta once reported matches desired');
  });

  it('shadow device sdk - named shadow: update, delta, get, version conflict, delete', async () => {
    const thingName = 'lamp-1';
    const shadowName = 'settings';
    const updateAccepted = new Inbox<iotshadow.model.UpdateShadowResponse>();
    const updateRejected = new Inbox<iotshadow.model.ErrorResponse>();
    const delta = new Inbox<iotshadow.model.ShadowDeltaUpdatedEvent>();
    const getAccepted = new Inbox<iotshadow.model.GetShadowResponse>();
    const deleteAccepted = new Inbox<iotshadow.model.DeleteShadowResponse>();
    await shadow.subscribeToUpdateNamedShadowAccepted({ thingName, shadowName }, QOS1, updateAccepted.push);
    await shadow.subscribeToUpdateNamedShadowRejected({ thingName, shadowName }, QOS1, updateRejected.push);
    await shadow.subscribeToNamedShadowDeltaUpdatedEvents({ thingName, shadowName }, QOS1, delta.push);
    await shadow.subscribeToGetNamedShadowAccepted({ thingName, shadowName }, QOS1, getAccepted.push);
    await shadow.subscribeToDeleteNamedShadowAccepted({ thingName, shadowName }, QOS1, deleteAccepted.push);

    await shadow.publishUpdateNamedShadow({ thingName, shadowName, state: { desired: { brightness: 80 } } }, QOS1);
    assert.equal((await updateAccepted.next('named /update/accepted')).version, 1);
    assert.deepEqual((await delta.next('named /update/delta')).state, { brightness: 80 });

    await shadow.publishUpdateNamedShadow({ thingName, shadowName, clientToken: 'stale', version: 7, state: { reported: { brightness: 80 } } }, QOS1);
    const conflict = await updateRejected.next('named /update/rejected');
    assert.equal(conflict.code, 409);
    assert.equal(conflict.message, 'Version conflict');
    assert.equal(conflict.clientToken, 'stale');

    await shadow.publishGetNamedShadow({ thingName, shadowName }, QOS1);
    const got = await getAccepted.next('named /get/accepted');
    assert.deepEqual(got.state?.desired, { brightness: 80 });
    assert.equal(got.version, 1);

    await shadow.publishDeleteNamedShadow({ thingName, shadowName }, QOS1);
    assert.equal((await deleteAccepted.next('named /delete/accepted')).version, 1);
  });
});
