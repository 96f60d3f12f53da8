/**
 * `topicd shadow get|update|delete|list` and `topicd retained get|list` against a running topicd: the
 * CLI signs iot-data calls with the data dir's admin key on the ALPN port, prints documents as JSON,
 * and fails in one line with the AWS error type.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { readCredentials, startTestTopicd, type TestTopicd } from '../helpers/topicd.js';
import { CLI, run, type Run } from '../helpers/tools.js';

describe('cli data - topicd shadow and topicd retained', () => {
  let topicd: TestTopicd;
  const cli = (args: readonly string[]): Promise<Run> => run('node', [CLI, '--data-dir', topicd.dataDir, ...args], { env: { ...process.env, TOPICD_CONFIG: '' } });
  const ok = (r: Run): Run => {
    assert.equal(r.code, 0, r.stderr);
    return r;
  };

  before(async () => {
    topicd = await startTestTopicd();
  });
  after(() => topicd.stop());

  it('cli data - shadow update, get, list, delete; a missing shadow fails in one line', async () => {
    const updated = JSON.parse(ok(await cli(['shadow', 'update', 'cli-thing', '{"state":{"desired":{"on":true}},"clientToken":"t1"}'])).stdout) as Record<string, unknown>;
    assert.equal(updated.version, 1);
    assert.equal(updated.clientToken, 't1');
    ok(await cli(['shadow', 'update', 'cli-thing', '--name', 'night', '{"state":{"reported":{"dim":2}}}']));
    const got = JSON.parse(ok(await cli(['shadow', 'get', 'cli-thing'])).stdout) as { state: unknown; version: number };
    assert.deepEqual(got.state, { desired: { on: true }, delta: { on: true } });
    const named = JSON.parse(ok(await cli(['shadow', 'get', 'cli-thing', '--name', 'night'])).stdout) as { state: unknown };
    assert.deepEqual(named.state, { reported: { dim: 2 } });
    assert.equal(ok(await cli(['shadow', 'list', 'cli-thing'])).stdout, 'night\n');
    assert.deepEqual(JSON.parse(ok(await cli(['shadow', 'list', 'cli-thing', '--json'])).stdout), { results: ['night'] });
    const deleted = JSON.parse(ok(await cli(['shadow', 'delete', 'cli-thing'])).stdout) as { version: number };
    assert.equal(deleted.version, 1);
    const missing = await cli(['shadow', 'get', 'cli-thing']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, "topicd: ResourceNotFoundException: No shadow exists with name: 'cli-thing'\n");
    const bad = await cli(['shadow', 'update', 'cli-thing', 'not json']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^topicd: the update document must be JSON/);
    const conflict = await cli(['shadow', 'update', 'cli-thing', '--name', 'night', '{"state":{"reported":{"dim":3}},"version":9}']);
    assert.equal(conflict.stderr, 'topicd: ConflictException: Version conflict\n');
  });

  it('cli data - retained get prints the payload, list prints the topics', async () => {
    // A backend's retained publish (SigV4, as the AWS SDK sends it).
    const publisher = new IoTDataPlaneClient({
      endpoint: `https://localhost:${topicd.running.ports.alpn}`, region: topicd.running.config.region, maxAttempts: 1,
      credentials: readCredentials(topicd.running.credentialsPath),
      requestHandler: new NodeHttpHandler({ httpsAgent: new Agent({ ca: readFileSync(topicd.running.caPath, 'utf8') }) }),
    });
    try {
      await publisher.send(new PublishCommand({ topic: 'cli/retained/one', retain: true, qos: 1, payload: Buffer.from('hello retained') }));
    } finally {
      publisher.destroy();
    }
    assert.equal(ok(await cli(['retained', 'get', 'cli/retained/one'])).stdout, 'hello retained');
    const asJson = JSON.parse(ok(await cli(['retained', 'get', 'cli/retained/one', '--json'])).stdout) as { topic: string; qos: number };
    assert.equal(asJson.topic, 'cli/retained/one');
    const listed = ok(await cli(['retained', 'list'])).stdout;
    assert.match(listed, /^TOPIC\s+BYTES\s+QOS\s+MODIFIED\n/);
    assert.match(listed, /cli\/retained\/one\s+14\s+/);
    const missing = await cli(['retained', 'get', 'cli/retained/none']);
    assert.match(missing.stderr, /^topicd: ResourceNotFoundException: /);
  });
});
