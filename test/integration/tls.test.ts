/**
 * TLS on the data plane: client certificates required and verified, certificate status enforced,
 * and the ALPN choices of each listener (reference §3).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UpdateCertificateCommand } from '@aws-sdk/client-iot';
import { connectMqtt, createDevice, endClient, startTestTopicd, tempDir, type Device, type TestTopicd } from '../helpers/topicd.js';
import { run, tlsHandshake as handshake } from '../helpers/tools.js';


/** A CA and client certificate that topicd has never seen, made with openssl. */
function foreignCertificate(): { cert: string; key: string } {
  const dir = tempDir('topicd-foreign-');
  const sh = (args: string[]): void => { execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' }); };
  sh(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=Foreign CA', '-days', '2']);
  sh(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'dev.key', '-out', 'dev.csr', '-subj', '/CN=foreign']);
  sh(['x509', '-req', '-in', 'dev.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'dev.pem', '-days', '2']);
  return { cert: readFileSync(join(dir, 'dev.pem'), 'utf8'), key: readFileSync(join(dir, 'dev.key'), 'utf8') };
}

describe('tls - client certificates and ALPN', () => {
  let topicd: TestTopicd;
  let device: Device;

  before(async () => {
    topicd = await startTestTopicd();
    device = await createDevice(topicd, 'tls-device');
  });
  after(() => topicd.stop());

  const ports = (): Array<[string, number]> => [
    ['https', topicd.running.ports.https], ['mqtt', topicd.running.ports.mqtt], ['alpn', topicd.running.ports.alpn!],
  ];

  // The ALPN port lets a peer without a certificate speak plain HTTP, for MQTT over WSS with a
  // SigV4-presigned URL (AWS needs no certificate there; websocket.test.ts covers it): there, the
  // AWS ALPN names are what must be refused.
  it('tls - no client certificate: refused on every listener (the ALPN port: for x-amzn-http-ca and x-amzn-mqtt-ca)', async () => {
    for (const [name, port] of ports()) {
      const offers = name === 'alpn' ? [['x-amzn-http-ca'], ['x-amzn-mqtt-ca']] : [undefined];
      for (const ALPNProtocols of offers) {
        const result = await handshake(port, { ca: device.ca, ...(ALPNProtocols ? { ALPNProtocols } : {}) });
        assert.equal(result.ok, false, `${name} accepted a client without a certificate (ALPN ${ALPNProtocols?.join(',') ?? 'none'})`);
      }
    }
  });

  it('tls - a certificate from another CA: refused on every listener', async () => {
    const foreign = foreignCertificate();
    for (const [name, port] of ports()) {
      const result = await handshake(port, { ca: device.ca, ...foreign });
      assert.equal(result.ok, false, `${name} accepted a foreign certificate`);
    }
  });

  it('tls - curl offers h2,http/1.1 and gets http/1.1; h2 is never picked', async () => {
    const both = await handshake(topicd.running.ports.https, { ca: device.ca, cert: device.cert, key: device.key, ALPNProtocols: ['h2', 'http/1.1'] });
    assert.deepEqual([both.ok, both.alpn], [true, 'http/1.1']);
    const h2only = await handshake(topicd.running.ports.https, { ca: device.ca, cert: device.cert, key: device.key, ALPNProtocols: ['h2'] });
    assert.equal(h2only.ok, false);
    const result = await run('curl', ['-sS', '-v', '--cacert', device.caPath, '--cert', device.certPath, '--key', device.keyPath,
      '--data', 'x', `https://localhost:${topicd.running.ports.https}/topics/alpn/curl`]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /ALPN.*http\/1\.1/);
  });

  it('tls - the HTTPS port takes x-amzn-http-ca or no ALPN; the MQTT port x-amzn-mqtt-ca or none', async () => {
    const creds = { ca: device.ca, cert: device.cert, key: device.key };
    assert.deepEqual((await handshake(topicd.running.ports.https, { ...creds, ALPNProtocols: ['x-amzn-http-ca'] })).alpn, 'x-amzn-http-ca');
    assert.equal((await handshake(topicd.running.ports.https, creds)).ok, true);
    assert.deepEqual((await handshake(topicd.running.ports.mqtt, { ...creds, ALPNProtocols: ['x-amzn-mqtt-ca'] })).alpn, 'x-amzn-mqtt-ca');
    assert.equal((await handshake(topicd.running.ports.mqtt, creds)).ok, true);
    assert.equal((await handshake(topicd.running.ports.mqtt, { ...creds, ALPNProtocols: ['http/1.1'] })).ok, false);
  });

  it('tls - the ALPN port sends x-amzn-mqtt-ca to MQTT', async () => {
    const client = await connectMqtt(topicd, device, { ALPNProtocols: ['x-amzn-mqtt-ca'], protocolVersion: 4 }, topicd.running.ports.alpn!);
    await client.publishAsync('alpn/mqtt', 'over 443', { qos: 1 });
    await endClient(client);
  });

  for (const status of ['INACTIVE', 'REVOKED'] as const) {
    it(`tls - ${status === 'INACTIVE' ? 'an' : 'a'} ${status} certificate is refused over MQTT and HTTPS`, async () => {
      const other = await createDevice(topicd, `dev-${status.toLowerCase()}`);
      // A live connection is cut when the status changes.
      const live = await connectMqtt(topicd, other, { protocolVersion: 5 });
      const closed = new Promise<void>((resolve) => live.once('close', () => resolve()));
      await topicd.iot.send(new UpdateCertificateCommand({ certificateId: other.certificateId, newStatus: status }));
      await closed;
      live.end(true);
      await assert.rejects(connectMqtt(topicd, other, { protocolVersion: 5 }), /Not authorized|authoriz/i);
      await assert.rejects(connectMqtt(topicd, other, { protocolVersion: 4 }), /Not authorized|authoriz/i);
      const result = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', device.caPath, '--cert', join(other.dir, 'device.pem.crt'),
        '--key', join(other.dir, 'private.pem.key'), '--data', 'x', `https://localhost:${topicd.running.ports.https}/topics/x`]);
      assert.equal(result.stdout, '403');
    });
  }
});
