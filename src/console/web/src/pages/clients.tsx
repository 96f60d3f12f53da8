/**
 * @module console/web/pages/clients
 * Who is connected now, refreshed every few seconds, and disconnect one (AWS DeleteConnection).
 */
import { useEffect } from 'preact/hooks';
import { consoleApi } from '../api';
import { ErrorNote, Loading, Page, Table, shortId, useAction, useAsync } from '../components';
import { href } from '../router';

const VERSIONS: Record<number, string> = { 3: '3.1', 4: '3.1.1', 5: '5' };

export function ClientsPage() {
  const list = useAsync(() => consoleApi.connections(), []);
  const action = useAction();
  useEffect(() => {
    const timer = setInterval(list.reload, 5_000);
    return () => clearInterval(timer);
  }, [list.reload]);
  const disconnect = (clientId: string) => () => {
    if (!confirm(`Disconnect client ${clientId}?`)) return;
    void action.run(async () => { await consoleApi.disconnect(clientId, false); list.reload(); });
  };
  const connections = list.data?.connections;
  return (
    <Page title="Clients" actions={<button type="button" onClick={list.reload}>Refresh</button>}>
      <ErrorNote error={list.error} />
      <ErrorNote error={action.error} />
      {list.loading && !connections && <Loading />}
      {connections && (
        <Table label="Connected clients">
          <thead>
            <tr><th scope="col">Client ID</th><th scope="col">Principal</th><th scope="col">Transport</th><th scope="col">MQTT</th>
              <th scope="col">Address</th><th scope="col">Since</th><th scope="col">Subscriptions</th><th scope="col">Actions</th></tr>
          </thead>
          <tbody>
            {connections.length === 0 && <tr><td colSpan={8}>No client is connected.</td></tr>}
            {connections.map((c) => (
              <tr key={c.clientId}>
                <td>{c.clientId}</td>
                <td>{/^[0-9a-f]{64}$/.test(c.principal) ? <a href={href('certificates', c.principal)} title={c.principal}><code>{shortId(c.principal)}</code></a> : <code>{c.principal}</code>}</td>
                <td>{c.transport ?? '-'}</td>
                <td>{c.protocolVersion === null ? '-' : VERSIONS[c.protocolVersion] ?? c.protocolVersion}</td>
                <td>{c.address}</td>
                <td>{new Date(c.connectedAt).toLocaleString()}</td>
                <td>{c.subscriptions.length === 0 ? '-' : <ul class="plain">{c.subscriptions.map((s) => <li key={s}><code>{s}</code></li>)}</ul>}</td>
                <td><button type="button" disabled={action.busy} onClick={disconnect(c.clientId)} aria-label={`Disconnect ${c.clientId}`}>Disconnect</button></td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </Page>
  );
}
