/**
 * @module test/integration/console-browser
 * The web console in a real browser (Debian's chromium, headless, playwright-core) against a real
 * topicd, driven by the visible labels a person reads: sign in (a wrong secret refused), create a
 * thing whose downloaded files then publish with curl, that publish arriving live in the MQTT test
 * client, a shadow updated over iot-data shown on the thing's page, a policy error shown in the
 * editor, a restricted key refused. The same run takes a screenshot of each page, and of the thing
 * page's shadows (docs/console/ with TOPICD_CONSOLE_SCREENSHOTS=1; see docs/console.md).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ListCertificatesCommand } from '@aws-sdk/client-iot';
import { IoTDataPlaneClient, UpdateThingShadowCommand } from '@aws-sdk/client-iot-data-plane';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Page } from 'playwright-core';
import { ControlClient } from '../../src/cli/control-client.js';
import { launchBrowser, screenshotDir, type TestBrowser } from '../helpers/browser.js';
import { readCredentials, startTestTopicd, type TestTopicd } from '../helpers/topicd.js';
import { run } from '../helpers/tools.js';

const THING = 'console-device';
const WAIT = { timeout: 20_000 };

describe('console in a browser', () => {
  let topicd: TestTopicd;
  let browser: TestBrowser;
  let page: Page;
  let shots: ReturnType<typeof screenshotDir>;
  let admin: { accessKeyId: string; secretAccessKey: string };
  const files: Record<string, string> = {};
  const problems: string[] = [];

  before(async () => {
    topicd = await startTestTopicd();
    admin = readCredentials(topicd.running.credentialsPath);
    browser = await launchBrowser();
    shots = screenshotDir();
    page = browser.context.pages()[0] ?? await browser.context.newPage();
    const origin = topicd.running.controlUrl;
    // Offline: every request stays on the control listener (or is the page's own blob/data).
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(origin) && !url.startsWith(origin.replace('http:', 'ws:')) && !/^(blob|data):/.test(url)) problems.push(`request to ${url}`);
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (message) => {
      // A refused call logs its HTTP status; a CSP violation or a script error is what counts here.
      if (message.type() === 'error' && !/status of 4\d\d/.test(message.text())) problems.push(`console: ${message.text()}`);
    });
    page.on('dialog', (dialog) => void dialog.accept());
  });
  after(async () => {
    await browser?.close();
    shots?.cleanup();
    await topicd?.stop();
  });

  const shot = async (name: string): Promise<void> => {
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: join(shots.dir, `${name}.png`), fullPage: false });
  };
  const heading = (name: string | RegExp) => page.getByRole('heading', { level: 1, name });
  /** A link of the console's navigation, by its label. */
  const go = (label: string) => page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: label, exact: true }).click();

  it('console - a wrong secret is refused on the sign-in page, in words', async () => {
    await page.goto(`${topicd.running.controlUrl}/console/`);
    await page.getByLabel('Access key ID').waitFor(WAIT);
    await shot('sign-in');
    await page.getByLabel('Access key ID').fill(admin.accessKeyId);
    await page.getByLabel('Secret access key').fill('not-the-secret');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'The secret access key is wrong for this access key ID.' }).waitFor(WAIT);
    assert.deepEqual((await browser.context.cookies()).filter((c) => c.name === 'topicd-console'), []);
  });

  it('console - sign in with the admin key by keyboard; the session cookie is HttpOnly and SameSite=Strict', async () => {
    await page.getByLabel('Access key ID').fill('');
    await page.getByLabel('Access key ID').focus();
    await page.keyboard.type(admin.accessKeyId);
    await page.keyboard.press('Tab');
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type(admin.secretAccessKey);
    await page.keyboard.press('Enter');
    await heading('Dashboard').waitFor(WAIT);
    const [cookie] = (await browser.context.cookies()).filter((c) => c.name === 'topicd-console');
    assert.ok(cookie, 'a session cookie');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(await page.evaluate('document.cookie'), '', 'scripts cannot read it');
    await page.getByText('Connections').first().waitFor(WAIT);
    // The message counters are the metrics' own (observe/counters.ts): measured, so charted, not "not measured".
    for (const counter of ['Messages in', 'Messages out', 'Dropped', 'Denied']) {
      await page.getByRole('img', { name: new RegExp(`^${counter} over the last \\d+ minutes; now 0 /s`) }).waitFor(WAIT);
    }
    await shot('dashboard');
  });

  it('console - create a thing with its certificate; its downloaded files publish with curl, live in the MQTT test client', async () => {
    await go('Things');
    await heading('Things').waitFor(WAIT);
    await page.getByRole('link', { name: 'Create thing' }).click();
    await page.getByLabel('Thing name').fill(THING);
    await page.getByLabel('Attributes (optional)').fill('room=lab\nfloor=2');
    await page.getByRole('button', { name: 'Create thing' }).click();
    await heading(`Thing ${THING} created`).waitFor({ timeout: 60_000 });
    await shot('thing-created');
    for (const [label, name] of [['Download device certificate', 'device.pem.crt'], ['Download private key', 'private.pem.key'], ['Download root CA', 'root-CA.pem']] as const) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: new RegExp(label) }).click()]);
      assert.equal(download.suggestedFilename(), name);
      files[name] = join(browser.downloads, name);
      await download.saveAs(files[name]);
    }
    assert.match(readFileSync(files['private.pem.key']!, 'utf8'), /^-----BEGIN RSA PRIVATE KEY-----\n/);
    assert.equal(readFileSync(files['root-CA.pem']!, 'utf8'), readFileSync(topicd.running.caPath, 'utf8'));

    await go('MQTT test client');
    await heading('MQTT test client').waitFor(WAIT);
    await page.getByRole('status').filter({ hasText: /^\s*Connected as iotconsole-/ }).waitFor(WAIT);
    await page.getByLabel('Topic filter').fill('#');
    await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
    await page.getByRole('list', { name: 'Subscriptions' }).getByText('#', { exact: true }).waitFor(WAIT);

    // AWS: HTTPS publish with the device's certificate, as the page's curl command does it.
    const curl = await run('curl', ['-sS', '--cacert', files['root-CA.pem']!, '--cert', files['device.pem.crt']!, '--key', files['private.pem.key']!,
      '--data-binary', '{"temperature": 21.5}', `https://localhost:${topicd.running.ports.https}/topics/${encodeURIComponent(`things/${THING}/hello`)}?qos=1`]);
    assert.match(curl.stdout, /"message":"OK"/, curl.stderr);
    const message = page.getByRole('article', { name: `Message on things/${THING}/hello` });
    await message.waitFor(WAIT);
    assert.match(await message.textContent() ?? '', /"temperature": 21\.5/);
    assert.match(await message.textContent() ?? '', /json/);

    await page.getByLabel('Topic name').fill('console/demo');
    await page.getByLabel('Message payload').fill('{"hello": "from the console"}');
    await page.getByLabel('Retain message').check();
    await page.getByRole('button', { name: 'Add user property' }).click();
    await page.getByLabel('Name 1').fill('source');
    await page.getByLabel('Value 1').fill('console');
    await page.getByRole('button', { name: 'Publish', exact: true }).click();
    const own = page.getByRole('article', { name: 'Message on console/demo' });
    await own.waitFor(WAIT);
    assert.match(await own.textContent() ?? '', /userProperties/);
    assert.match(await own.textContent() ?? '', /source/);
    await shot('mqtt-test-client');

    await page.getByRole('button', { name: 'Pause' }).click();
    await run('curl', ['-sS', '--cacert', files['root-CA.pem']!, '--cert', files['device.pem.crt']!, '--key', files['private.pem.key']!,
      '--data-binary', 'held while paused', `https://localhost:${topicd.running.ports.https}/topics/${encodeURIComponent(`things/${THING}/held`)}?qos=1`]);
    await page.getByRole('button', { name: 'Resume (1 held)' }).waitFor(WAIT);
    assert.equal(await page.getByRole('article', { name: `Message on things/${THING}/held` }).count(), 0);
    await page.getByRole('button', { name: 'Resume (1 held)' }).click();
    await page.getByRole('article', { name: `Message on things/${THING}/held` }).waitFor(WAIT);
    await page.getByRole('button', { name: 'Clear' }).click();
    assert.equal(await page.getByRole('article').count(), 0);
  });

  it('console - a policy error is shown in the editor, where it is', async () => {
    await go('Policies');
    await page.getByRole('link', { name: 'Create policy' }).click();
    await page.getByLabel('Policy name').fill('console-broken');
    const editor = page.getByLabel('Policy document');
    await editor.fill('{\n  "Version": "2012-10-17"\n  "Statement": []\n}');
    await page.getByRole('alert').filter({ hasText: "Line 3, column 3: Expected ',' or '}' after a member" }).waitFor(WAIT);
    assert.equal(await editor.getAttribute('aria-invalid'), 'true');
    await editor.fill(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allowed', Action: 'iot:Connect', Resource: '*' }] }, null, 2));
    await page.getByRole('button', { name: 'Create policy' }).click();
    // The server's MalformedPolicyException, placed on the line its path names.
    const alert = page.getByRole('alert').filter({ hasText: 'MalformedPolicyException' });
    await alert.waitFor(WAIT);
    assert.match(await alert.textContent() ?? '', /^Line 5: Statement\[0\]\.Effect: must be "Allow" or "Deny"/);
    await page.getByRole('button', { name: 'Go to the problem' }).click();
    const selected = await editor.evaluate((el) => { const area = el as unknown as { value: string; selectionStart: number }; return area.value.slice(area.selectionStart, area.selectionStart + 9); });
    assert.equal(selected, '"Allowed"');
    await shot('policy-editor');
  });

  it('console - every page: things, a thing, certificates, a certificate, policies, test authorization, clients, retained messages', async () => {
    await go('Things');
    await page.getByRole('link', { name: THING }).click();
    await heading(`Thing ${THING}`).waitFor(WAIT);
    await page.getByText('room').waitFor(WAIT);
    await page.getByText('This thing has no shadows.').waitFor(WAIT);
    // AWS: UpdateThingShadow over iot-data (the AWS SDK, SigV4 with the admin key on the 443-style port), then the page reads it again.
    const data = new IoTDataPlaneClient({
      endpoint: `https://localhost:${topicd.running.ports.alpn!}`, region: topicd.running.config.region, credentials: admin, maxAttempts: 1,
      requestHandler: new NodeHttpHandler({ httpsAgent: new Agent({ ca: readFileSync(topicd.running.caPath) }) }),
    });
    const update = (shadowName: string | undefined, state: object) =>
      data.send(new UpdateThingShadowCommand({ thingName: THING, ...(shadowName ? { shadowName } : {}), payload: Buffer.from(JSON.stringify({ state })) }));
    await update(undefined, { desired: { temperature: 20 }, reported: { temperature: 21.5, firmware: '1.4.2' } });
    await update('settings', { reported: { interval: 60 } });
    data.destroy();
    await page.getByRole('button', { name: 'Refresh shadows' }).click();
    const reported = page.getByLabel('Classic shadow: reported');
    await reported.waitFor(WAIT);
    assert.equal(await reported.textContent(), JSON.stringify({ temperature: 21.5, firmware: '1.4.2' }, null, 2));
    assert.equal(await page.getByLabel('Classic shadow: delta').textContent(), JSON.stringify({ temperature: 20 }, null, 2));
    await page.getByLabel('Named shadow settings: reported').getByText('"interval": 60').waitFor(WAIT);
    await shot('thing');
    await page.getByRole('region', { name: 'Device shadows' }).screenshot({ path: join(shots.dir, 'thing-shadows.png') });
    await go('Things');
    await page.getByLabel('Thing name contains').fill('console');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: THING }).waitFor(WAIT);
    await shot('things');

    await go('Certificates');
    await page.getByText('ACTIVE').first().waitFor(WAIT);
    await shot('certificates');
    const { certificates = [] } = await topicd.iot.send(new ListCertificatesCommand({}));
    const certificateId = certificates[0]?.certificateId ?? '';
    await page.getByRole('link', { name: certificateId.slice(0, 10) }).click();
    await page.getByRole('link', { name: 'topicd-thing-default' }).waitFor(WAIT);
    await shot('certificate');

    await go('Policies');
    await page.getByRole('link', { name: 'topicd-thing-default' }).click();
    await page.getByRole('cell', { name: 'Version 1' }).waitFor(WAIT);
    await shot('policy');
    await go('Policies');
    await shot('policies');

    await go('Test authorization');
    await page.getByLabel('Principal (certificate ID or ARN)').fill(certificateId);
    await page.getByLabel('Client ID').fill(THING);
    await page.getByLabel('Action').selectOption('publish');
    await page.getByLabel('Resource: Topic').fill(`things/${THING}/hello`);
    await page.getByRole('button', { name: 'Test', exact: true }).click();
    const decision = page.getByRole('region', { name: 'Decision' });
    await decision.waitFor(WAIT);
    assert.match(await decision.textContent() ?? '', /ALLOWED.*Decided by policy topicd-thing-default, statement 1/s);
    await shot('test-authorization');

    await go('Clients');
    await page.getByRole('cell', { name: /^iotconsole-/ }).waitFor(WAIT);
    assert.match(await page.getByRole('region', { name: 'Connected clients' }).textContent() ?? '', new RegExp(`${admin.accessKeyId}.*websocket.*#`));
    await shot('clients');

    await go('Retained messages');
    await page.getByRole('button', { name: 'View console/demo' }).click();
    await page.getByRole('region', { name: 'Retained message on console/demo' }).getByText('"hello": "from the console"').waitFor(WAIT);
    await shot('retained');

    // A narrow window: the navigation wraps above the page, and the test client stacks.
    await page.setViewportSize({ width: 420, height: 800 });
    await go('MQTT test client');
    await page.getByLabel('Topic filter').waitFor(WAIT);
    assert.ok(await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Things', exact: true }).isVisible());
    await shot('mqtt-test-client-narrow');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('console - a restricted key signs in and is refused what its policies do not allow', async () => {
    const client = new ControlClient({ url: topicd.running.controlUrl, region: topicd.running.config.region, credentials: admin });
    const key = await client.request<{ accessKeyId: string; secretAccessKey: string; accessKeyArn: string }>('POST', '/topicd/access-keys');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Access key ID').fill(key.accessKeyId);
    await page.getByLabel('Secret access key').fill(key.secretAccessKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor(WAIT);
    await go('Things');
    await page.getByRole('alert').filter({ hasText: `is not authorized to perform: iot:ListThings on resource: * (AccessDeniedException)` }).waitFor(WAIT);
    await shot('restricted-key');
    // Allowed to read the thing but not its shadows: the shadows part shows the refusal, the rest of the page stands.
    await client.createPolicy('console-describe-only', JSON.stringify({ Version: '2012-10-17', Statement: [
      { Effect: 'Allow', Action: ['iot:DescribeThing', 'iot:ListThingPrincipals'], Resource: '*' },
    ] }));
    await client.attachPolicy('console-describe-only', key.accessKeyArn);
    await page.goto(`${topicd.running.controlUrl}/console/#/things/${THING}`);
    await heading(`Thing ${THING}`).waitFor(WAIT);
    await page.getByRole('region', { name: 'Device shadows' }).getByRole('alert')
      .filter({ hasText: new RegExp(`is not authorized to perform: iot:ListNamedShadowsForThing on resource: arn:aws:iot:[^ ]+:thing/${THING} \\(AccessDeniedException\\)`) }).waitFor(WAIT);
    await page.getByText('room').waitFor(WAIT);
    await go('MQTT test client');
    // No policy gives the key iot:Connect: the broker refuses the test client's CONNECT.
    await page.getByRole('alert').filter({ hasText: /Not authorized/i }).waitFor(WAIT);
    assert.deepEqual(problems, []);
  });
});
