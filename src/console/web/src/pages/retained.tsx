/**
 * @module console/web/pages/retained
 * The retained messages, a page at a time (AWS ListRetainedMessages), one opened with its payload
 * (GetRetainedMessage), and delete (a zero-byte retained publish, as MQTT deletes one).
 */
import { useState } from 'preact/hooks';
import type { RetainedMessageResponse } from '../../../api-types';
import { consoleApi } from '../api';
import { ErrorNote, Loading, Page, Pager, Table, useAction, useAsync } from '../components';
import { fromBase64, showPayload } from '../payload';

function Message(props: { message: RetainedMessageResponse; onDelete: () => void; busy: boolean }) {
  const shown = showPayload(fromBase64(props.message.payload));
  return (
    <section class="card" aria-label={`Retained message on ${props.message.topic}`}>
      <h2><code>{props.message.topic}</code></h2>
      <dl class="facts">
        <dt>QoS</dt><dd>{props.message.qos}</dd>
        <dt>Size</dt><dd>{props.message.payloadSize} bytes</dd>
        <dt>Last modified</dt><dd>{new Date(props.message.lastModifiedTime).toLocaleString()}</dd>
        {props.message.userProperties.length > 0 && <><dt>User properties</dt><dd>{props.message.userProperties.map(([k, v]) => `${k}: ${v}`).join(', ')}</dd></>}
      </dl>
      <pre class={`payload ${shown.kind}`} aria-label={`Payload (${shown.kind})`}>{shown.text}</pre>
      <button type="button" class="danger" onClick={props.onDelete} disabled={props.busy}>Delete retained message</button>
    </section>
  );
}

export function RetainedPage() {
  const [page, setPage] = useState(0);
  const [tokens, setTokens] = useState<Array<string | undefined>>([undefined]);
  const list = useAsync(() => consoleApi.retained(tokens[page]), [page]);
  const [open, setOpen] = useState<RetainedMessageResponse | undefined>(undefined);
  const action = useAction();
  const view = (topic: string) => () => void action.run(async () => setOpen(await consoleApi.retainedMessage(topic)));
  const remove = (topic: string): void => {
    if (!confirm(`Delete the retained message on ${topic}?`)) return;
    void action.run(async () => {
      await consoleApi.deleteRetained(topic);
      setOpen(undefined);
      list.reload();
    });
  };
  const next = (): void => {
    const token = list.data?.nextToken;
    setTokens((t) => { const copy = [...t]; copy[page + 1] = token; return copy; });
    setPage(page + 1);
  };
  return (
    <Page title="Retained messages" actions={<button type="button" onClick={list.reload}>Refresh</button>}>
      <ErrorNote error={list.error} />
      <ErrorNote error={action.error} />
      {list.loading && !list.data && <Loading />}
      {list.data && (
        <>
          <Table label="Retained messages">
            <thead><tr><th scope="col">Topic</th><th scope="col">Size</th><th scope="col">QoS</th><th scope="col">Last modified</th><th scope="col">Actions</th></tr></thead>
            <tbody>
              {list.data.retainedTopics.length === 0 && <tr><td colSpan={5}>No retained messages.</td></tr>}
              {list.data.retainedTopics.map((r) => (
                <tr key={r.topic}>
                  <td><code>{r.topic}</code></td>
                  <td>{r.payloadSize} B</td>
                  <td>{r.qos}</td>
                  <td>{new Date(r.lastModifiedTime).toLocaleString()}</td>
                  <td class="row-actions">
                    <button type="button" onClick={view(r.topic)} aria-label={`View ${r.topic}`}>View</button>
                    <button type="button" onClick={() => remove(r.topic)} aria-label={`Delete ${r.topic}`}>Delete</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
          <Pager page={page} hasNext={list.data.nextToken !== undefined} onPrevious={() => setPage(Math.max(0, page - 1))} onNext={next} />
        </>
      )}
      {open && <Message message={open} onDelete={() => remove(open.topic)} busy={action.busy} />}
    </Page>
  );
}
