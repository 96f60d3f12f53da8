/**
 * The README's quick start and first device, and security.md's bring-your-own-CA walk-through, run
 * as written: their `sh` blocks are read from the pages themselves, so the docs cannot drift from
 * what works. They run in order, in a temp folder standing for the checkout (a git repository, so
 * the device's key is seen to stay out of git), each block in one bash, `cd` carried to the next.
 *
 * What differs from a user's terminal, and only that: `npm ci` and `npm test` are not run (this runs
 * inside `npm test`); `npm start` is its script, `node dist/src/cli/main.js start`, on ephemeral
 * ports (TOPICD_*_PORT=0: the README's ports may be taken on a shared machine), so the README's
 * 8443 and 9000 are replaced by the ports it got; `npx topicd` is `node dist/src/cli/main.js`;
 * CERTIFICATE_ID is the id the previous `thing create` or `cert register` printed; `sub` runs in the
 * background; the AWS CLI block runs where the AWS CLI does.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RuntimeInfo } from '../../src/config/data-files.js';
import { missingReferences, shellBlocks } from '../helpers/doc-commands.js';
import { CLI, REPO_ROOT, run, spawnCommand, type Run, type Spawned } from '../helpers/tools.js';

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const security = readFileSync(join(REPO_ROOT, 'docs', 'security.md'), 'utf8');

/** No data dir, config or port of the user's leaks in. */
const ENV = { TOPICD_CONFIG: '', TOPICD_DATA_DIR: '' };
const EPHEMERAL_ENV = { TOPICD_HTTPS_PORT: '0', TOPICD_MQTT_PORT: '0', TOPICD_ALPN_PORT: '0', TOPICD_CONTROL_PORT: '0', TOPICD_LOG_LEVEL: 'warn' };

const awsCliWorks = spawnSync('aws', ['--version'], { stdio: 'ignore' }).status === 0;

describe('readme - the docs\' commands, run as written', () => {
  const checkout = mkdtempSync(join(tmpdir(), 'topicd-readme-'));
  let cwd = checkout;
  let server: Spawned | undefined;
  let subscriber: Spawned | undefined;
  let runtime: RuntimeInfo | undefined;
  let certificateId: string | undefined;

  before(async () => {
    // The files the README's commands read from the checkout.
    cpSync(join(REPO_ROOT, 'docs', 'policies'), join(checkout, 'docs', 'policies'), { recursive: true });
    assert.equal((await run('git', ['init', '-q', checkout])).code, 0);
  });

  after(async () => {
    for (const child of [subscriber, server]) {
      if (child && child.child.exitCode === null && child.child.signalCode === null) {
        child.child.kill('SIGKILL');
        await child.exited;
      }
    }
    rmSync(checkout, { recursive: true, force: true });
  });

  /** The block as this test runs it (see the header for each replacement). */
  const adapt = (block: string): string => {
    let text = block.replace(/\bnpx topicd\b/g, `node ${CLI}`);
    if (runtime) {
      text = text.replace(/localhost:8443\b/g, `localhost:${runtime.httpsPort}`).replace(/http:\/\/127\.0\.0\.1:9000\b/g, runtime.controlUrl);
    }
    if (text.includes('CERTIFICATE_ID')) {
      assert.ok(certificateId, 'a certificate id was printed before CERTIFICATE_ID is needed');
      text = text.replace(/CERTIFICATE_ID/g, certificateId);
    }
    return text;
  };

  /** Runs one block in bash (stopping at the first failure), then carries its `cd`s to the next. */
  const runBlock = async (block: string): Promise<Run> => {
    const result = await run('bash', ['-e', '-c', adapt(block)], { cwd, env: ENV, timeoutMs: 60_000 });
    assert.equal(result.code, 0, `${block}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
    for (const m of block.matchAll(/^cd (\S+)$/gm)) cwd = resolve(cwd, m[1] ?? '.');
    const printed = /certificate id\s+([0-9a-f]{64})/.exec(result.stdout)?.[1] ?? /"certificateId": "([0-9a-f]{64})"/.exec(result.stdout)?.[1];
    if (printed) certificateId = printed;
    return result;
  };

  it('readme - the quick start and the first device, in order', async () => {
    const quick = shellBlocks(readme, 'Quick start');
    const first = shellBlocks(readme, 'Your first device');
    assert.deepEqual(quick, ['npm ci && npm start', 'npm test'], 'the quick start this test knows how to run');

    // npm ci && npm start: npm ci is what made this test runnable; npm start is its script.
    server = spawnCommand('node', [CLI, 'start'], { cwd, env: { ...ENV, ...EPHEMERAL_ENV } });
    await server.waitFor('stdout', 'topicd is ready', 30_000);
    runtime = JSON.parse(readFileSync(join(checkout, 'data', 'runtime.json'), 'utf8')) as RuntimeInfo;

    const seen = { thingCreate: false, sub: false, curl: false, pub: false, policyTest: false, samplesPolicy: false, awsCli: false };
    for (const block of first) {
      if (/^npx topicd sub /m.test(block)) {
        // A second terminal: it keeps running, and what it prints is checked at the end.
        subscriber = spawnCommand('bash', ['-c', `exec ${adapt(block)}`], { cwd, env: ENV });
        await subscriber.waitFor('stderr', 'subscribed to');
        seen.sub = true;
      } else if (/^AWS_SHARED_CREDENTIALS_FILE=.* aws /m.test(block)) {
        if (!awsCliWorks) continue;
        const result = await runBlock(block);
        assert.equal((JSON.parse(result.stdout) as { endpointAddress: string }).endpointAddress, 'localhost');
        seen.awsCli = true;
      } else {
        const result = await runBlock(block);
        if (/thing create/.test(block)) seen.thingCreate = true;
        if (/^curl /m.test(block)) {
          assert.match(result.stdout, /^\{"message":"OK","traceId":"[0-9a-f-]{36}"\}$/);
          seen.curl = true;
        }
        if (/topicd pub /.test(block)) seen.pub = true;
        if (/policy test /.test(block)) {
          assert.match(result.stdout, /^IMPLICIT_DENY {2}publish arn:aws:iot:\S+:topic\/elsewhere\/x\n {2}decided by {2}no statement allowed it/);
          seen.policyTest = true;
        }
        if (/policy attach aws-samples/.test(block)) seen.samplesPolicy = true;
      }
    }
    assert.deepEqual(seen, { thingCreate: true, sub: true, curl: true, pub: true, policyTest: true, samplesPolicy: true, awsCli: awsCliWorks });

    // The subscriber printed what curl and pub sent.
    await subscriber?.waitFor('stdout', 'things/my-device/hello hi');
    assert.equal(subscriber?.stdout(), 'things/my-device/hello { "message": "Hello, world" }\nthings/my-device/hello hi\n');
    // `cd my-device`, then `cd ..`: back in the checkout.
    assert.equal(cwd, checkout);
    // The device's key is in the checkout, and git does not see it.
    assert.ok(readdirSync(join(checkout, 'my-device')).includes('private.pem.key'));
    const status = await run('git', ['-C', checkout, 'status', '--porcelain', '--untracked-files=all']);
    assert.doesNotMatch(status.stdout, /my-device/);
  });

  it('readme - security.md\'s bring-your-own-CA walk-through ends in a publish that works', async () => {
    assert.ok(runtime, 'runs after the quick start, on its topicd');
    const blocks = shellBlocks(security, 'Bring your own CA');
    assert.equal(blocks.length, 6, 'make the CA, verification certificate, register the CA, the device, its policy, curl');
    let last: Run | undefined;
    for (const block of blocks) last = await runBlock(block);
    assert.match(last?.stdout ?? '', /^\{"message":"OK","traceId":"[0-9a-f-]{36}"\}$/);
  });

  it('readme - every link and repository path in README.md and docs/ exists', () => {
    const pages = ['README.md', 'bench/README.md', 'test/samples/README.md',
      ...readdirSync(join(REPO_ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
    assert.deepEqual(pages.flatMap((page) => missingReferences(REPO_ROOT, page)), []);
  });
});
