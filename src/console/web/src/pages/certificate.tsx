/**
 * @module console/web/pages/certificate
 * One certificate: its description and PEM, status changes, the things it is attached to, and its
 * policies with attach and detach (ListAttachedPolicies, AttachPolicy, DetachPolicy).
 */
import { useState } from 'preact/hooks';
import { iot } from '../api';
import { ErrorNote, Field, Loading, Page, Table, download, formatTime, useAction, useAsync } from '../components';
import { href } from '../router';
import { changeStatus, statusActions } from './certificates';

export function CertificatePage(props: { id: string }) {
  const cert = useAsync(async () => {
    const { certificateDescription: d } = await iot.describeCertificate(props.id);
    const [policies, things, all] = await Promise.all([
      iot.listAttachedPolicies(d.certificateArn), iot.listPrincipalThings(d.certificateArn), iot.listPolicies().catch(() => ({ policies: [] })),
    ]);
    return { d, policies: policies.policies, things: things.things, allPolicies: all.policies };
  }, [props.id]);
  const action = useAction();
  const [chosen, setChosen] = useState('');
  const data = cert.data;
  const attachable = data ? data.allPolicies.filter((p) => !data.policies.some((a) => a.policyName === p.policyName)) : [];
  const act = (work: () => Promise<unknown>) => () => void action.run(async () => { await work(); cert.reload(); });
  return (
    <Page title="Certificate">
      <p><a href={href('certificates')}>← Certificates</a></p>
      <ErrorNote error={cert.error} />
      <ErrorNote error={action.error} />
      {cert.loading && !data && <Loading />}
      {data && (
        <>
          <dl class="facts">
            <dt>Certificate ID</dt><dd><code class="wrap">{data.d.certificateId}</code></dd>
            <dt>ARN</dt><dd><code class="wrap">{data.d.certificateArn}</code></dd>
            <dt>Status</dt><dd><span class={`status ${data.d.status.toLowerCase()}`}>{data.d.status}</span></dd>
            <dt>Created</dt><dd>{formatTime(data.d.creationDate)}</dd>
            <dt>Valid</dt><dd>{formatTime(data.d.validity?.notBefore)} to {formatTime(data.d.validity?.notAfter)}</dd>
          </dl>
          <div class="actions">
            {statusActions(data.d.status).map(([label, status]) => (
              <button type="button" key={status} disabled={action.busy} onClick={act(() => changeStatus(data.d.certificateId, status))}>{label}</button>
            ))}
            <button type="button" onClick={() => download(`${data.d.certificateId.slice(0, 10)}.pem.crt`, data.d.certificatePem)}>Download certificate</button>
          </div>
          <h2>Things</h2>
          <ul>
            {data.things.length === 0 && <li>Attached to no thing.</li>}
            {data.things.map((t) => <li key={t}><a href={href('things', t)}>{t}</a></li>)}
          </ul>
          <h2>Policies</h2>
          <Table label="Attached policies">
            <thead><tr><th scope="col">Policy</th><th scope="col">Actions</th></tr></thead>
            <tbody>
              {data.policies.length === 0 && <tr><td colSpan={2}>No policies attached.</td></tr>}
              {data.policies.map((p) => (
                <tr key={p.policyName}>
                  <td><a href={href('policies', p.policyName)}>{p.policyName}</a></td>
                  <td><button type="button" disabled={action.busy} aria-label={`Detach policy ${p.policyName}`}
                    onClick={act(() => iot.detachPolicy(p.policyName, data.d.certificateArn))}>Detach</button></td>
                </tr>
              ))}
            </tbody>
          </Table>
          <form class="inline" onSubmit={(e) => { e.preventDefault(); if (chosen) act(() => iot.attachPolicy(chosen, data.d.certificateArn))(); }}>
            <Field label="Policy to attach" id="attach-policy">
              <select id="attach-policy" value={chosen} onChange={(e) => setChosen(e.currentTarget.value)}>
                <option value="">Choose a policy</option>
                {attachable.map((p) => <option key={p.policyName} value={p.policyName}>{p.policyName}</option>)}
              </select>
            </Field>
            <button type="submit" disabled={action.busy || chosen === ''}>Attach policy</button>
          </form>
          <details>
            <summary>Certificate PEM</summary>
            <pre class="pem">{data.d.certificatePem}</pre>
          </details>
        </>
      )}
    </Page>
  );
}
