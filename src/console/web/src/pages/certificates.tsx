/**
 * @module console/web/pages/certificates
 * The certificates, a page at a time (ListCertificates' marker), with their status and quick status
 * changes (UpdateCertificate). Revoking is final, so it asks first.
 */
import { useState } from 'preact/hooks';
import { iot } from '../api';
import { ErrorNote, Loading, Page, Pager, Table, formatTime, shortId, useAction, useAsync } from '../components';
import { href } from '../router';

/** The status changes offered for a status (AWS: a REVOKED certificate stays revoked). */
export function statusActions(status: string): Array<[label: string, newStatus: string]> {
  switch (status) {
    case 'ACTIVE': return [['Deactivate', 'INACTIVE'], ['Revoke', 'REVOKED']];
    case 'INACTIVE': case 'PENDING_ACTIVATION': case 'REGISTER_INACTIVE': return [['Activate', 'ACTIVE'], ['Revoke', 'REVOKED']];
    default: return [];
  }
}

export async function changeStatus(id: string, newStatus: string): Promise<boolean> {
  if (newStatus === 'REVOKED' && !confirm(`Revoke certificate ${shortId(id)}? A revoked certificate cannot be activated again.`)) return false;
  await iot.updateCertificate(id, newStatus);
  return true;
}

export function CertificatesPage() {
  const [page, setPage] = useState(0);
  const [markers, setMarkers] = useState<Array<string | undefined>>([undefined]);
  const list = useAsync(() => iot.listCertificates(markers[page]), [page]);
  const action = useAction();
  const next = (): void => {
    const marker = list.data?.nextMarker;
    setMarkers((m) => { const copy = [...m]; copy[page + 1] = marker; return copy; });
    setPage(page + 1);
  };
  return (
    <Page title="Certificates" actions={<a class="button" href={href('things', 'new')}>Create thing with certificate</a>}>
      <ErrorNote error={list.error} />
      <ErrorNote error={action.error} />
      {list.loading && <Loading />}
      {list.data && (
        <>
          <Table label="Certificates">
            <thead><tr><th scope="col">Certificate ID</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col">Actions</th></tr></thead>
            <tbody>
              {list.data.certificates.length === 0 && <tr><td colSpan={4}>No certificates.</td></tr>}
              {list.data.certificates.map((c) => (
                <tr key={c.certificateId}>
                  <td><a href={href('certificates', c.certificateId)} title={c.certificateId}><code>{shortId(c.certificateId)}</code></a></td>
                  <td><span class={`status ${c.status.toLowerCase()}`}>{c.status}</span></td>
                  <td>{formatTime(c.creationDate)}</td>
                  <td class="row-actions">
                    {statusActions(c.status).map(([label, status]) => (
                      <button type="button" key={status} disabled={action.busy} aria-label={`${label} certificate ${shortId(c.certificateId)}`}
                        onClick={() => void action.run(async () => { if (await changeStatus(c.certificateId, status)) list.reload(); })}>{label}</button>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
          <Pager page={page} hasNext={list.data.nextMarker !== undefined} onPrevious={() => setPage(Math.max(0, page - 1))} onNext={next} />
        </>
      )}
    </Page>
  );
}
