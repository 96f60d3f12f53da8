/**
 * @module console/web/pages/test-authorization
 * Asks topicd's policy engine, through TestAuthorization, whether a certificate may do one thing, and
 * shows the decision with the statement that made it (topicd's `decidedBy`), as `topicd policy test`
 * does.
 */
import { useState } from 'preact/hooks';
import { iot, type AuthResult } from '../api';
import { ErrorNote, Field, Page, useAction } from '../components';
import { href } from '../router';

const CERTIFICATE_ID = /^[0-9a-fA-F]{64}$/;
const CERTIFICATE_ARN = /^arn:(aws[a-z-]*):iot:([a-z0-9-]+):(\d{12}):cert\/[0-9a-fA-F]{64}$/;

/** The action's TestAuthorization actionType and the ARN resource type its name goes in. */
const ACTIONS = {
  publish: { actionType: 'PUBLISH', type: 'topic', label: 'Topic' },
  subscribe: { actionType: 'SUBSCRIBE', type: 'topicfilter', label: 'Topic filter' },
  receive: { actionType: 'RECEIVE', type: 'topic', label: 'Topic' },
  connect: { actionType: 'CONNECT', type: 'client', label: 'Client ID' },
} as const;
type ActionName = keyof typeof ACTIONS;

export function TestAuthorizationPage() {
  const [principal, setPrincipal] = useState('');
  const [clientId, setClientId] = useState('');
  const [action, setAction] = useState<ActionName>('publish');
  const [resource, setResource] = useState('');
  const [result, setResult] = useState<{ result: AuthResult; resource: string } | undefined>(undefined);
  const run = useAction();
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setResult(undefined);
    await run.run(async () => {
      let arn = principal.trim();
      if (CERTIFICATE_ID.test(arn)) arn = (await iot.describeCertificate(arn.toLowerCase())).certificateDescription.certificateArn;
      const parts = CERTIFICATE_ARN.exec(arn);
      if (!parts) throw new Error('Principal: give a certificate ID (64 hex characters) or a certificate ARN.');
      const name = resource || (action === 'connect' ? clientId : '');
      const resourceArn = `arn:${parts[1]}:iot:${parts[2]}:${parts[3]}:${ACTIONS[action].type}/${name}`;
      const out = await iot.testAuthorization({ principal: arn, clientId: clientId || undefined, authInfos: [{ actionType: ACTIONS[action].actionType, resources: [resourceArn] }] });
      const first = out.authResults[0];
      if (!first) throw new Error('TestAuthorization returned no result.');
      setResult({ result: first, resource: resourceArn });
    });
  };
  const by = result?.result.decidedBy;
  return (
    <Page title="Test authorization">
      <form class="form" onSubmit={(e) => void submit(e)}>
        <Field label="Principal (certificate ID or ARN)" id="ta-principal">
          <input id="ta-principal" value={principal} onInput={(e) => setPrincipal(e.currentTarget.value)} required spellcheck={false} />
        </Field>
        <Field label="Client ID" id="ta-client" hint="Policy variables such as ${iot:ClientId} read it">
          <input id="ta-client" value={clientId} onInput={(e) => setClientId(e.currentTarget.value)} aria-describedby="ta-client-hint" />
        </Field>
        <Field label="Action" id="ta-action">
          <select id="ta-action" value={action} onChange={(e) => setAction(e.currentTarget.value as ActionName)}>
            <option value="publish">iot:Publish</option>
            <option value="subscribe">iot:Subscribe</option>
            <option value="receive">iot:Receive</option>
            <option value="connect">iot:Connect</option>
          </select>
        </Field>
        <Field label={`Resource: ${ACTIONS[action].label}`} id="ta-resource" hint={action === 'connect' ? 'Empty: the client ID above' : undefined}>
          <input id="ta-resource" value={resource} onInput={(e) => setResource(e.currentTarget.value)} required={action !== 'connect'} spellcheck={false} />
        </Field>
        <ErrorNote error={run.error} />
        <button type="submit" class="primary" disabled={run.busy}>Test</button>
      </form>
      {result && (
        <section class={`decision ${result.result.authDecision === 'ALLOWED' ? 'allowed' : 'denied'}`} aria-live="polite" aria-label="Decision">
          <h2>{result.result.authDecision}</h2>
          <p><code>{ACTIONS[action].actionType}</code> on <code class="wrap">{result.resource}</code></p>
          {by ? (
            <p>Decided by policy <a href={href('policies', by.policyName)}>{by.policyName}</a>, statement {by.statementIndex}
              {by.sid === undefined ? '' : ` (Sid ${by.sid})`}, effect {by.effect}.</p>
          ) : (
            <p>No statement allowed it (implicit deny). Policies evaluated: {[
              ...(result.result.allowed?.policies ?? []), ...(result.result.denied?.implicitDeny?.policies ?? []), ...(result.result.denied?.explicitDeny?.policies ?? []),
            ].map((p) => p.policyName).join(', ') || 'none'}.</p>
          )}
        </section>
      )}
    </Page>
  );
}
