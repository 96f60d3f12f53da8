/**
 * @module console/web/pages/thing
 * One thing: its attributes, type and version (DescribeThing), its certificates (ListThingPrincipals),
 * whether a client with its name is connected now, its Device Shadows (thing-shadows.tsx), and delete. Delete detaches the certificates first
 * and keeps them, as `topicd thing delete` does (AWS refuses to delete a thing that has principals).
 */
import { consoleApi, iot, messageOf } from '../api';
import { ErrorNote, Loading, Page, Table, useAction, useAsync } from '../components';
import { href, navigate } from '../router';
import { ThingShadows } from './thing-shadows';

/** AWS: a thing is connected when a client whose id is the thing's name is. */
async function connectivity(thingName: string): Promise<string> {
  try {
    const { connections } = await consoleApi.connections();
    const client = connections.find((c) => c.clientId === thingName);
    return client ? `Connected since ${new Date(client.connectedAt).toLocaleString()} from ${client.address}` : 'Not connected';
  } catch (err) {
    return `Unknown (${messageOf(err)})`;
  }
}

export function ThingPage(props: { name: string }) {
  const thing = useAsync(async () => {
    const [description, principals, connected] = await Promise.all([
      iot.describeThing(props.name), iot.listThingPrincipals(props.name), connectivity(props.name),
    ]);
    return { description, principals: principals.principals, connected };
  }, [props.name]);
  const remove = useAction();
  const onDelete = async (): Promise<void> => {
    if (!confirm(`Delete thing ${props.name}? Its certificates are detached and kept.`)) return;
    const done = await remove.run(async () => {
      for (const principal of thing.data?.principals ?? []) await iot.detachThingPrincipal(props.name, principal);
      await iot.deleteThing(props.name);
    });
    if (done) navigate('things');
  };
  const data = thing.data;
  return (
    <Page title={`Thing ${props.name}`} actions={<button type="button" class="danger" onClick={() => void onDelete()} disabled={remove.busy || !data}>Delete thing</button>}>
      <p><a href={href('things')}>← Things</a></p>
      <ErrorNote error={thing.error} />
      <ErrorNote error={remove.error} />
      {thing.loading && <Loading />}
      {data && (
        <>
          <dl class="facts">
            <dt>Name</dt><dd>{data.description.thingName}</dd>
            <dt>ARN</dt><dd><code>{data.description.thingArn}</code></dd>
            <dt>Type</dt><dd>{data.description.thingTypeName ?? 'none'}</dd>
            <dt>Version</dt><dd>{data.description.version ?? '-'}</dd>
            <dt>Connectivity</dt><dd>{data.connected}</dd>
          </dl>
          <h2>Attributes</h2>
          <Table label="Attributes">
            <thead><tr><th scope="col">Name</th><th scope="col">Value</th></tr></thead>
            <tbody>
              {Object.keys(data.description.attributes ?? {}).length === 0 && <tr><td colSpan={2}>No attributes.</td></tr>}
              {Object.entries(data.description.attributes ?? {}).map(([k, v]) => <tr key={k}><td>{k}</td><td>{v}</td></tr>)}
            </tbody>
          </Table>
          <h2>Certificates</h2>
          <Table label="Certificates of this thing">
            <thead><tr><th scope="col">Certificate</th></tr></thead>
            <tbody>
              {data.principals.length === 0 && <tr><td>No certificates attached.</td></tr>}
              {data.principals.map((arn) => {
                const id = arn.slice(arn.lastIndexOf('/') + 1);
                return <tr key={arn}><td>{arn.includes(':cert/') ? <a href={href('certificates', id)}><code>{id}</code></a> : <code>{arn}</code>}</td></tr>;
              })}
            </tbody>
          </Table>
          <ThingShadows thingName={props.name} />
        </>
      )}
    </Page>
  );
}
