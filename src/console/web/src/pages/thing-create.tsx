/**
 * @module console/web/pages/thing-create
 * Create a thing and its certificate, as `topicd thing create` does, through the same operations:
 * CreateThing, a key and CSR made in this page and CreateCertificateFromCsr (ACTIVE),
 * AttachThingPrincipal, the default thing policy (CreatePolicy on first use) and AttachPolicy. The
 * certificate, its private key and the root CA are offered for download on the result, once: the
 * key exists nowhere else.
 */
import { useState } from 'preact/hooks';
import { DEFAULT_THING_POLICY, DEFAULT_THING_POLICY_DOCUMENT } from '../../../../registry/default-thing-policy';
import { ApiError, consoleApi, iot } from '../api';
import { ErrorNote, Field, Page, download, useAction } from '../components';
import { deviceKeyAndCsr } from '../csr';
import { href } from '../router';

interface Created {
  thingName: string;
  certificateId?: string;
  certificatePem?: string;
  privateKeyPem?: string;
  rootCaPem?: string;
  policyName?: string;
}

/** `name=value` lines -> attributes; a line without `=` is refused. */
function parseAttributes(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`Attributes, line ${i + 1}: write name=value.`);
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

async function ensurePolicy(name: string): Promise<void> {
  try {
    await iot.createPolicy(name, DEFAULT_THING_POLICY_DOCUMENT);
  } catch (err) {
    if (!(err instanceof ApiError && err.type === 'ResourceAlreadyExistsException')) throw err;
  }
}

export function CreateThingPage() {
  const [name, setName] = useState('');
  const [thingType, setThingType] = useState('');
  const [attributes, setAttributes] = useState('');
  const [withCertificate, setWithCertificate] = useState(true);
  const [policy, setPolicy] = useState(DEFAULT_THING_POLICY);
  const [created, setCreated] = useState<Created | undefined>(undefined);
  const [step, setStep] = useState('');
  const action = useAction();

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    await action.run(async () => {
      const attrs = parseAttributes(attributes);
      setStep('Creating the thing…');
      const thing = await iot.createThing(name, {
        ...(thingType ? { thingTypeName: thingType } : {}),
        ...(Object.keys(attrs).length > 0 ? { attributePayload: { attributes: attrs } } : {}),
      });
      if (!withCertificate) {
        setCreated({ thingName: thing.thingName });
        return;
      }
      setStep('Making a key and a certificate signing request in this browser…');
      const { privateKeyPem, csrPem } = await deviceKeyAndCsr(name);
      setStep('Having topicd sign the certificate…');
      const cert = await iot.createCertificateFromCsr(csrPem);
      await iot.attachThingPrincipal(name, cert.certificateArn);
      if (policy === DEFAULT_THING_POLICY) await ensurePolicy(policy);
      await iot.attachPolicy(policy, cert.certificateArn);
      const rootCaPem = await consoleApi.rootCa();
      setCreated({ thingName: thing.thingName, certificateId: cert.certificateId, certificatePem: cert.certificatePem, privateKeyPem, rootCaPem, policyName: policy });
    });
    setStep('');
  };

  if (created) {
    return (
      <Page title={`Thing ${created.thingName} created`}>
        {created.privateKeyPem ? (
          <>
            <p class="note warn" role="alert">Download the private key now: this is the only time it is shown. It was made in this browser and topicd never had it.</p>
            <dl class="facts">
              <dt>Certificate</dt><dd><a href={href('certificates', created.certificateId!)}><code>{created.certificateId}</code></a> (ACTIVE)</dd>
              <dt>Policy</dt><dd><a href={href('policies', created.policyName!)}>{created.policyName}</a></dd>
            </dl>
            <div class="downloads">
              <button type="button" onClick={() => download('device.pem.crt', created.certificatePem!)}>Download device certificate (device.pem.crt)</button>
              <button type="button" onClick={() => download('private.pem.key', created.privateKeyPem!)}>Download private key (private.pem.key)</button>
              <button type="button" onClick={() => download('root-CA.pem', created.rootCaPem!)}>Download root CA (root-CA.pem)</button>
            </div>
          </>
        ) : <p>The thing has no certificate.</p>}
        <p><a href={href('things', created.thingName)}>Open thing {created.thingName}</a> · <a href={href('things')}>Back to things</a></p>
      </Page>
    );
  }
  return (
    <Page title="Create thing">
      <form class="form" onSubmit={(e) => void submit(e)}>
        <Field label="Thing name" id="thing-name" hint="1 to 128 of a-z A-Z 0-9 : _ -">
          <input id="thing-name" value={name} onInput={(e) => setName(e.currentTarget.value)} required pattern="[a-zA-Z0-9:_\-]{1,128}" aria-describedby="thing-name-hint" />
        </Field>
        <Field label="Thing type (optional)" id="thing-type-name">
          <input id="thing-type-name" value={thingType} onInput={(e) => setThingType(e.currentTarget.value)} />
        </Field>
        <Field label="Attributes (optional)" id="thing-attributes" hint="One name=value per line">
          <textarea id="thing-attributes" rows={3} value={attributes} onInput={(e) => setAttributes(e.currentTarget.value)} aria-describedby="thing-attributes-hint" />
        </Field>
        <div class="field check">
          <input id="with-certificate" type="checkbox" checked={withCertificate} onChange={(e) => setWithCertificate(e.currentTarget.checked)} />
          <label for="with-certificate">Create a certificate for it (ACTIVE, attached)</label>
        </div>
        {withCertificate && (
          <Field label="Policy to attach" id="thing-policy" hint={`${DEFAULT_THING_POLICY} lets the device use client id and topics things/<name>/…`}>
            <input id="thing-policy" value={policy} onInput={(e) => setPolicy(e.currentTarget.value)} required aria-describedby="thing-policy-hint" />
          </Field>
        )}
        <ErrorNote error={action.error} />
        {step && <p class="note" role="status">{step}</p>}
        <div class="actions">
          <button type="submit" class="primary" disabled={action.busy}>Create thing</button>
          <a href={href('things')}>Cancel</a>
        </div>
      </form>
    </Page>
  );
}
