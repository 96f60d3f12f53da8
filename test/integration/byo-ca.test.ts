/**
 * Bring your own CA (reference §7): a CA and device certificates made with the openssl CLI,
 * registered through the control plane with @aws-sdk/client-iot, then used by MQTT.js over mutual TLS
 * and by curl for HTTPS publish. Also just-in-time registration and RegisterCertificateWithoutCA.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  DeleteCACertificateCommand, DeleteCertificateCommand, DescribeCACertificateCommand, DescribeCertificateCommand,
  GetRegistrationCodeCommand, ListCACertificatesCommand, ListCertificatesByCACommand, RegisterCACertificateCommand,
  RegisterCertificateCommand, RegisterCertificateWithoutCACommand, UpdateCACertificateCommand, UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { makeCa, makeSigned, type PemFiles } from '../helpers/openssl.js';
import { ALLOW_ALL_POLICY, attachPolicy, collect, connectMqtt, endClient, rejectsWith, startTestTopicd, tempDir, type Device, type TestTopicd } from '../helpers/topicd.js';
import { ALLOW_ALL_DOCUMENT, run } from '../helpers/tools.js';

const idOf = (pem: string): string =>
  createHash('sha256').update(Buffer.from(pem.replace(/-----[^-]+-----|\s+/g, ''), 'base64')).digest('hex');


describe('byo-ca - bring your own CA', () => {
  let topicd: TestTopicd;
  let dir: string;
  let rootCa: string;
  let registrationCode: string;

  before(async () => {
    topicd = await startTestTopicd();
    dir = tempDir('topicd-byo-ca-');
    rootCa = readFileSync(topicd.running.caPath, 'utf8');
    registrationCode = (await topicd.iot.send(new GetRegistrationCodeCommand({}))).registrationCode!;
  });
  after(() => topicd.stop());

  /** What a user does after registering a certificate: attach a policy (here, one allowing everything). */
  const allow = (certificateId: string): Promise<void> =>
    attachPolicy(topicd, `arn:aws:iot:${topicd.running.config.region}:${topicd.running.accountId}:cert/${certificateId}`, ALLOW_ALL_POLICY, ALLOW_ALL_DOCUMENT);

  /** A Device as the helpers take it, for openssl-made files. */
  const asDevice = (files: PemFiles, name: string): Device => ({
    thingName: name, certificateId: idOf(files.cert), certificateArn: '', dir, certPath: files.certPath, keyPath: files.keyPath,
    caPath: topicd.running.caPath, cert: files.cert, key: files.key, ca: rootCa,
  });

  const mqttAccepted = async (files: PemFiles, name: string): Promise<void> => {
    const client = await connectMqtt(topicd, asDevice(files, name), { protocolVersion: 5 });
    await client.publishAsync(`byo/${name}`, 'hello', { qos: 1 });
    await endClient(client);
  };
  const mqttRefused = (files: PemFiles, name: string): Promise<void> =>
    assert.rejects(connectMqtt(topicd, asDevice(files, name), { protocolVersion: 5 }));
  /** curl's HTTPS publish: the HTTP status, or '000' when the TLS connection was refused. */
  const httpsPublish = async (files: PemFiles): Promise<string> => {
    const result = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', topicd.running.caPath,
      '--cert', files.certPath, '--key', files.keyPath, '--data', 'x', `https://localhost:${topicd.running.ports.https}/topics/byo/https`]);
    return result.stdout;
  };

  /** Registers `ca` with a verification certificate signed by its key for the account's code. */
  const registerCa = async (ca: PemFiles, options: { setAsActive?: boolean; allowAutoRegistration?: boolean } = {}): Promise<string> => {
    const verification = makeSigned(dir, ca, `${ca.certPath.replace(/.*\//, '').replace('.pem', '')}-verification`, registrationCode);
    const out = await topicd.iot.send(new RegisterCACertificateCommand({
      caCertificate: ca.cert, verificationCertificate: verification.cert, setAsActive: true, ...options,
    }));
    return out.certificateId!;
  };

  it('byo-ca - GetRegistrationCode answers the same 64-hex code on every call', async () => {
    assert.match(registrationCode, /^[0-9a-f]{64}$/);
    assert.equal((await topicd.iot.send(new GetRegistrationCodeCommand({}))).registrationCode, registrationCode);
  });

  it('byo-ca - RegisterCACertificate checks the verification certificate: its CN is the registration code, its signer the CA key', async () => {
    const ca = makeCa(dir, 'check-ca');
    const other = makeCa(dir, 'other-ca');
    const wrongCn = makeSigned(dir, ca, 'wrong-cn', 'not-the-code');
    const wrongKey = makeSigned(dir, other, 'wrong-key', registrationCode);
    await rejectsWith(topicd.iot.send(new RegisterCACertificateCommand({ caCertificate: ca.cert, verificationCertificate: wrongCn.cert })),
      'RegistrationCodeValidationException');
    await rejectsWith(topicd.iot.send(new RegisterCACertificateCommand({ caCertificate: ca.cert, verificationCertificate: wrongKey.cert })),
      'CertificateValidationException');
    await rejectsWith(topicd.iot.send(new RegisterCACertificateCommand({ caCertificate: ca.cert })), 'InvalidRequestException');
    await rejectsWith(topicd.iot.send(new RegisterCACertificateCommand({ caCertificate: 'not a certificate', verificationCertificate: wrongCn.cert })),
      'CertificateValidationException');
    // A device certificate is no CA.
    await rejectsWith(topicd.iot.send(new RegisterCACertificateCommand({ caCertificate: wrongCn.cert, certificateMode: 'SNI_ONLY' })),
      'CertificateValidationException');

    const id = await registerCa(ca, { setAsActive: false });
    assert.equal(id, idOf(ca.cert));
    await rejectsWith(registerCa(ca), 'ResourceAlreadyExistsException');
    const { certificateDescription: d } = await topicd.iot.send(new DescribeCACertificateCommand({ certificateId: id }));
    assert.equal(d?.certificateArn, `arn:aws:iot:${topicd.running.config.region}:${topicd.running.accountId}:cacert/${id}`);
    assert.deepEqual([d?.status, d?.autoRegistrationStatus, d?.certificateMode, d?.ownedBy], ['INACTIVE', 'DISABLE', 'DEFAULT', topicd.running.accountId]);
    assert.equal(d?.certificatePem?.trim(), ca.cert.trim());
    assert.ok(d?.creationDate instanceof Date && d.validity?.notAfter instanceof Date);
    const listed = await topicd.iot.send(new ListCACertificatesCommand({}));
    assert.ok(listed.certificates?.some((c) => c.certificateId === id && c.status === 'INACTIVE'));
    await rejectsWith(topicd.iot.send(new DescribeCACertificateCommand({ certificateId: 'f'.repeat(64) })), 'ResourceNotFoundException');

    // SNI_ONLY needs no verification certificate.
    const sni = makeCa(dir, 'sni-ca');
    const registered = await topicd.iot.send(new RegisterCACertificateCommand({ caCertificate: sni.cert, certificateMode: 'SNI_ONLY' }));
    assert.equal(registered.certificateId, idOf(sni.cert));
  });

  it('byo-ca - a device of a registered CA is refused until CA and certificate are registered, then MQTT and HTTPS publish work', async () => {
    const ca = makeCa(dir, 'fleet-ca');
    const device = makeSigned(dir, ca, 'fleet-device');
    await mqttRefused(device, 'fleet-device');
    assert.notEqual(await httpsPublish(device), '200');

    // The certificate cannot be registered before its CA.
    await rejectsWith(topicd.iot.send(new RegisterCertificateCommand({ certificatePem: device.cert, setAsActive: true })), 'CertificateValidationException');
    const caId = await registerCa(ca);
    // The CA alone is trusted, the certificate still unknown (and its CA does not auto-register).
    await mqttRefused(device, 'fleet-device');

    const registered = await topicd.iot.send(new RegisterCertificateCommand({ certificatePem: device.cert, caCertificatePem: ca.cert, setAsActive: true }));
    assert.equal(registered.certificateId, idOf(device.cert));
    assert.match(registered.certificateArn ?? '', /:cert\/[0-9a-f]{64}$/);
    await rejectsWith(topicd.iot.send(new RegisterCertificateCommand({ certificatePem: device.cert, setAsActive: true })), 'ResourceAlreadyExistsException');
    // Registered and ACTIVE, but no policy yet: connected devices may do nothing, so CONNECT is refused.
    await mqttRefused(device, 'fleet-device');
    await allow(registered.certificateId!);
    const { certificateDescription } = await topicd.iot.send(new DescribeCertificateCommand({ certificateId: registered.certificateId }));
    assert.deepEqual([certificateDescription?.caCertificateId, certificateDescription?.status, certificateDescription?.certificateMode], [caId, 'ACTIVE', 'DEFAULT']);
    const byCa = await topicd.iot.send(new ListCertificatesByCACommand({ caCertificateId: caId }));
    assert.deepEqual(byCa.certificates?.map((c) => c.certificateId), [registered.certificateId]);
    await rejectsWith(topicd.iot.send(new ListCertificatesByCACommand({ caCertificateId: 'not-an-id' })), 'InvalidRequestException');
    await rejectsWith(topicd.iot.send(new ListCACertificatesCommand({ pageSize: 251 })), 'InvalidRequestException');

    await mqttAccepted(device, 'fleet-device');
    assert.equal(await httpsPublish(device), '200');

    // Another CA's certificate named as caCertificatePem is refused.
    const stranger = makeCa(dir, 'stranger-ca');
    const second = makeSigned(dir, ca, 'fleet-device-2');
    await rejectsWith(topicd.iot.send(new RegisterCertificateCommand({ certificatePem: second.cert, caCertificatePem: stranger.cert })), 'CertificateValidationException');
  });

  it('byo-ca - auto-registration: the first attempt registers PENDING_ACTIVATION and publishes the registered event; ACTIVE then connects', async () => {
    const ca = makeCa(dir, 'auto-ca');
    const caId = await registerCa(ca, { allowAutoRegistration: true });
    const watcherFiles = makeSigned(dir, ca, 'auto-watcher');
    await allow((await topicd.iot.send(new RegisterCertificateCommand({ certificatePem: watcherFiles.cert, status: 'ACTIVE' }))).certificateId!);
    const watcher = await connectMqtt(topicd, asDevice(watcherFiles, 'auto-watcher'), { protocolVersion: 5 });
    const received = collect(watcher);
    await watcher.subscribeAsync(`$aws/events/certificates/registered/${caId}`, { qos: 1 });

    const device = makeSigned(dir, ca, 'auto-device');
    await mqttRefused(device, 'auto-device');
    const event = await received.waitForTopic(`$aws/events/certificates/registered/${caId}`);
    const body = JSON.parse(event.payload.toString()) as Record<string, unknown>;
    assert.deepEqual(
      [body.certificateId, body.caCertificateId, body.certificateStatus, body.awsAccountId],
      [idOf(device.cert), caId, 'PENDING_ACTIVATION', topicd.running.accountId]);
    assert.equal(typeof body.timestamp, 'number');
    assert.equal(typeof body.certificateRegistrationTimestamp, 'number');
    const { certificateDescription } = await topicd.iot.send(new DescribeCertificateCommand({ certificateId: idOf(device.cert) }));
    assert.deepEqual([certificateDescription?.status, certificateDescription?.caCertificateId], ['PENDING_ACTIVATION', caId]);
    // Still refused until someone activates it.
    await mqttRefused(device, 'auto-device');
    assert.equal(await httpsPublish(device), '403');

    await topicd.iot.send(new UpdateCertificateCommand({ certificateId: idOf(device.cert), newStatus: 'ACTIVE' }));
    await allow(idOf(device.cert));
    await mqttAccepted(device, 'auto-device');
    await endClient(watcher);
  });

  it('byo-ca - RegisterCertificateWithoutCA: a certificate of an unknown CA is accepted once registered ACTIVE (SNI_ONLY)', async () => {
    const ca = makeCa(dir, 'unknown-ca');
    const device = makeSigned(dir, ca, 'sni-device');
    await mqttRefused(device, 'sni-device');
    assert.equal(await httpsPublish(device), '000');

    const registered = await topicd.iot.send(new RegisterCertificateWithoutCACommand({ certificatePem: device.cert, status: 'ACTIVE' }));
    assert.equal(registered.certificateId, idOf(device.cert));
    await rejectsWith(topicd.iot.send(new RegisterCertificateWithoutCACommand({ certificatePem: device.cert })), 'ResourceAlreadyExistsException');
    await rejectsWith(topicd.iot.send(new RegisterCertificateWithoutCACommand({ certificatePem: 'garbage' })), 'CertificateValidationException');
    const { certificateDescription } = await topicd.iot.send(new DescribeCertificateCommand({ certificateId: registered.certificateId }));
    assert.equal(certificateDescription?.certificateMode, 'SNI_ONLY');
    assert.equal(certificateDescription?.caCertificateId, undefined);

    await allow(registered.certificateId!);
    await mqttAccepted(device, 'sni-device');
    assert.equal(await httpsPublish(device), '200');
    // Its status still rules: INACTIVE is refused as any other certificate's.
    await topicd.iot.send(new UpdateCertificateCommand({ certificateId: registered.certificateId, newStatus: 'INACTIVE' }));
    await mqttRefused(device, 'sni-device');
    assert.equal(await httpsPublish(device), '403');
    // Deleted, it is unknown again: refused at the handshake.
    // forceDelete: AWS's way past the policy still attached.
    await topicd.iot.send(new DeleteCertificateCommand({ certificateId: registered.certificateId, forceDelete: true }));
    assert.equal(await httpsPublish(device), '000');
  });

  it('byo-ca - deactivating the CA refuses new connections; DeleteCACertificate refuses while ACTIVE or while its certificates remain', async () => {
    const ca = makeCa(dir, 'retired-ca');
    const caId = await registerCa(ca);
    const device = makeSigned(dir, ca, 'retired-device');
    const { certificateId } = await topicd.iot.send(new RegisterCertificateCommand({ certificatePem: device.cert, setAsActive: true }));
    await allow(certificateId!);
    await mqttAccepted(device, 'retired-device');

    await rejectsWith(topicd.iot.send(new DeleteCACertificateCommand({ certificateId: caId })), 'CertificateStateException');
    await topicd.iot.send(new UpdateCACertificateCommand({ certificateId: caId, newStatus: 'INACTIVE', newAutoRegistrationStatus: 'ENABLE' }));
    const { certificateDescription: d } = await topicd.iot.send(new DescribeCACertificateCommand({ certificateId: caId }));
    assert.deepEqual([d?.status, d?.autoRegistrationStatus, d?.customerVersion], ['INACTIVE', 'ENABLE', 2]);
    await mqttRefused(device, 'retired-device');
    assert.equal(await httpsPublish(device), '000');
    // An INACTIVE CA's certificate cannot be registered ACTIVE.
    const late = makeSigned(dir, ca, 'retired-late');
    await rejectsWith(topicd.iot.send(new RegisterCertificateCommand({ certificatePem: late.cert, setAsActive: true })), 'CertificateValidationException');
    await rejectsWith(topicd.iot.send(new UpdateCACertificateCommand({ certificateId: caId, newStatus: 'PENDING' as 'ACTIVE' })), 'InvalidRequestException');

    await rejectsWith(topicd.iot.send(new DeleteCACertificateCommand({ certificateId: caId })), 'DeleteConflictException');
    await topicd.iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'INACTIVE' }));
    await topicd.iot.send(new DeleteCertificateCommand({ certificateId, forceDelete: true }));
    await topicd.iot.send(new DeleteCACertificateCommand({ certificateId: caId }));
    await rejectsWith(topicd.iot.send(new DescribeCACertificateCommand({ certificateId: caId })), 'ResourceNotFoundException');
    await rejectsWith(topicd.iot.send(new UpdateCACertificateCommand({ certificateId: caId, newStatus: 'ACTIVE' })), 'ResourceNotFoundException');
  });
});
