/**
 * @module console/web/pages/policy
 * Create a policy, or one policy's document, versions and targets: edit and save as a new version
 * (CreatePolicyVersion), view a version, set the default (SetDefaultPolicyVersion), delete a version,
 * attach to a certificate (AttachPolicy), detach, delete the policy. The server validates the document
 * (MalformedPolicyException); the editor shows where.
 */
import { useEffect, useState } from 'preact/hooks';
import { iot } from '../api';
import { ErrorNote, Field, Loading, Page, Table, formatTime, useAction, useAsync } from '../components';
import { PolicyEditor, pretty } from '../policy-editor';
import { href, navigate } from '../router';

const TEMPLATE = pretty(JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['iot:Connect'], Resource: ['arn:aws:iot:*:*:client/${iot:ClientId}'] }],
}));

const CERTIFICATE_ID = /^[0-9a-fA-F]{64}$/;

function NewPolicy() {
  const [name, setName] = useState('');
  const [document, setDocument] = useState(TEMPLATE);
  const save = useAction();
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (await save.run(() => iot.createPolicy(name, document))) navigate('policies', name);
  };
  return (
    <Page title="Create policy">
      <form class="form wide" onSubmit={(e) => void submit(e)}>
        <Field label="Policy name" id="policy-name">
          <input id="policy-name" value={name} onInput={(e) => setName(e.currentTarget.value)} required pattern="[\w+=,.@\-]{1,128}" />
        </Field>
        <PolicyEditor id="policy-document" label="Policy document" value={document} onInput={(t) => { setDocument(t); save.clear(); }} serverError={save.error} />
        <div class="actions">
          <button type="submit" class="primary" disabled={save.busy}>Create policy</button>
          <a href={href('policies')}>Cancel</a>
        </div>
      </form>
    </Page>
  );
}

function ExistingPolicy(props: { name: string; version: string | undefined }) {
  const policy = useAsync(async () => {
    const [p, versions, targets] = await Promise.all([
      iot.getPolicy(props.name), iot.listPolicyVersions(props.name), iot.listTargetsForPolicy(props.name),
    ]);
    const shown = props.version ?? p.defaultVersionId;
    const document = shown === p.defaultVersionId ? p.policyDocument : (await iot.getPolicyVersion(props.name, shown)).policyDocument;
    return { p, versions: versions.policyVersions, targets: targets.targets, shown, document };
  }, [props.name, props.version]);
  const [document, setDocument] = useState('');
  const [setAsDefault, setSetAsDefault] = useState(true);
  const [target, setTarget] = useState('');
  const save = useAction();
  const action = useAction();
  useEffect(() => {
    if (policy.data) setDocument(pretty(policy.data.document));
  }, [policy.data]);
  const data = policy.data;
  const act = (work: () => Promise<unknown>) => () => void action.run(async () => { await work(); policy.reload(); });
  const saveVersion = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (await save.run(() => iot.createPolicyVersion(props.name, document, setAsDefault))) navigate('policies', props.name);
    policy.reload();
  };
  const attach = async (e: Event): Promise<void> => {
    e.preventDefault();
    await action.run(async () => {
      let arn = target.trim();
      if (CERTIFICATE_ID.test(arn)) arn = (await iot.describeCertificate(arn.toLowerCase())).certificateDescription.certificateArn;
      await iot.attachPolicy(props.name, arn);
      setTarget('');
      policy.reload();
    });
  };
  const deletePolicy = async (): Promise<void> => {
    if (!confirm(`Delete policy ${props.name}?`)) return;
    if (await action.run(() => iot.deletePolicy(props.name))) navigate('policies');
  };
  return (
    <Page title={`Policy ${props.name}`} actions={<button type="button" class="danger" onClick={() => void deletePolicy()} disabled={action.busy}>Delete policy</button>}>
      <p><a href={href('policies')}>← Policies</a></p>
      <ErrorNote error={policy.error} />
      <ErrorNote error={action.error} />
      {policy.loading && !data && <Loading />}
      {data && (
        <>
          <form class="form wide" onSubmit={(e) => void saveVersion(e)}>
            <PolicyEditor id="policy-document" label={`Policy document (version ${data.shown}${data.shown === data.p.defaultVersionId ? ', default' : ''})`}
              value={document} onInput={(t) => { setDocument(t); save.clear(); }} serverError={save.error} />
            <div class="actions">
              <span class="check">
                <input id="set-default" type="checkbox" checked={setAsDefault} onChange={(e) => setSetAsDefault(e.currentTarget.checked)} />
                <label for="set-default">Set as default version</label>
              </span>
              <button type="submit" class="primary" disabled={save.busy}>Save as new version</button>
            </div>
          </form>
          <h2>Versions</h2>
          <Table label="Policy versions">
            <thead><tr><th scope="col">Version</th><th scope="col">Default</th><th scope="col">Created</th><th scope="col">Actions</th></tr></thead>
            <tbody>
              {data.versions.map((v) => (
                <tr key={v.versionId} aria-current={v.versionId === data.shown ? 'true' : undefined}>
                  <td><a href={href('policies', props.name, v.versionId)}>Version {v.versionId}</a></td>
                  <td>{v.isDefaultVersion ? 'Default' : ''}</td>
                  <td>{formatTime(v.createDate)}</td>
                  <td class="row-actions">
                    {!v.isDefaultVersion && <button type="button" disabled={action.busy} onClick={act(() => iot.setDefaultPolicyVersion(props.name, v.versionId))}>Set as default</button>}
                    {!v.isDefaultVersion && <button type="button" disabled={action.busy} onClick={act(() => iot.deletePolicyVersion(props.name, v.versionId))}>Delete</button>}
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
          <h2>Targets</h2>
          <Table label="Policy targets">
            <thead><tr><th scope="col">Target</th><th scope="col">Actions</th></tr></thead>
            <tbody>
              {data.targets.length === 0 && <tr><td colSpan={2}>Attached to nothing.</td></tr>}
              {data.targets.map((t) => (
                <tr key={t}>
                  <td>{t.includes(':cert/') ? <a href={href('certificates', t.slice(t.lastIndexOf('/') + 1))}><code>{t}</code></a> : <code>{t}</code>}</td>
                  <td><button type="button" disabled={action.busy} onClick={act(() => iot.detachPolicy(props.name, t))}>Detach</button></td>
                </tr>
              ))}
            </tbody>
          </Table>
          <form class="inline" onSubmit={(e) => void attach(e)}>
            <Field label="Attach to (certificate ID or ARN)" id="attach-target">
              <input id="attach-target" value={target} onInput={(e) => setTarget(e.currentTarget.value)} required spellcheck={false} />
            </Field>
            <button type="submit" disabled={action.busy}>Attach</button>
          </form>
        </>
      )}
    </Page>
  );
}

export function PolicyPage(props: { name?: string; version?: string | undefined }) {
  return props.name === undefined ? <NewPolicy /> : <ExistingPolicy name={props.name} version={props.version} />;
}
