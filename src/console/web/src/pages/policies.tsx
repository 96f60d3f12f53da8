/**
 * @module console/web/pages/policies
 * The policies, a page at a time (ListPolicies' marker).
 */
import { useState } from 'preact/hooks';
import { iot } from '../api';
import { ErrorNote, Loading, Page, Pager, Table, useAsync } from '../components';
import { href } from '../router';

export function PoliciesPage() {
  const [page, setPage] = useState(0);
  const [markers, setMarkers] = useState<Array<string | undefined>>([undefined]);
  const list = useAsync(() => iot.listPolicies(markers[page]), [page]);
  const next = (): void => {
    const marker = list.data?.nextMarker;
    setMarkers((m) => { const copy = [...m]; copy[page + 1] = marker; return copy; });
    setPage(page + 1);
  };
  return (
    <Page title="Policies" actions={<><a class="button" href={href('test-authorization')}>Test authorization</a><a class="button primary" href={href('policies', 'new')}>Create policy</a></>}>
      <ErrorNote error={list.error} />
      {list.loading && <Loading />}
      {list.data && (
        <>
          <Table label="Policies">
            <thead><tr><th scope="col">Name</th><th scope="col">ARN</th></tr></thead>
            <tbody>
              {list.data.policies.length === 0 && <tr><td colSpan={2}>No policies.</td></tr>}
              {list.data.policies.map((p) => (
                <tr key={p.policyName}><td><a href={href('policies', p.policyName)}>{p.policyName}</a></td><td><code>{p.policyArn}</code></td></tr>
              ))}
            </tbody>
          </Table>
          <Pager page={page} hasNext={list.data.nextMarker !== undefined} onPrevious={() => setPage(Math.max(0, page - 1))} onNext={next} />
        </>
      )}
    </Page>
  );
}
