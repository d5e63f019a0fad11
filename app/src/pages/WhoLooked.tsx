import type { AuditRecord, Device, Relationship } from '../device';
import { categoryName } from '../fhir';
import { useDevice, useSession } from '../session';
import { Busy, ErrorNote, Page, hospitalName, short, useLoad, when } from '../ui';
import { loadPatientView } from './records-data';

interface Row extends AuditRecord {
  hospital: string;
}

const ROLE_TEXT: Record<string, string> = { patient: 'You', provider: 'A provider', viewer: 'Someone you shared with' };

const served = (r: AuditRecord) => r.status >= 200 && r.status < 300;

/** Every answer each gatekeeper gave about the patient's records, from each hospital's own audit log. */
async function loadAccess(device: Device): Promise<{ rows: Row[]; errors: { hospital: string; error: unknown }[] }> {
  const { rels } = await loadPatientView(device, false);
  const byGatekeeper = new Map<string, Relationship[]>();
  // One query per gatekeeper and identity: a query signed by one identity names only its own relationships.
  for (const rel of rels) {
    const key = `${new URL(rel.endpoint).origin} ${rel.identity}`;
    byGatekeeper.set(key, [...(byGatekeeper.get(key) ?? []), rel]);
  }
  const rows: Row[] = [];
  const errors: { hospital: string; error: unknown }[] = [];
  await Promise.all(
    [...byGatekeeper.values()].map(async (group) => {
      const hospital = hospitalName(group[0]!.providerMspId);
      try {
        for (const r of await device.whoLooked(group)) rows.push({ ...r, hospital });
      } catch (error) {
        errors.push({ hospital, error });
      }
    }),
  );
  rows.sort((a, b) => b.at.localeCompare(a.at));
  return { rows, errors };
}

export function WhoLooked() {
  const device = useDevice();
  const { catalogue } = useSession();
  const access = useLoad(() => loadAccess(device), [device]);
  const purpose = (code: string | null) => catalogue?.purposes.find((p) => p.code === code)?.label ?? code ?? '—';
  return (
    <Page title="Who looked at my records">
      <p>Every request any hospital’s gatekeeper answered about your records — served or refused — read from each hospital’s own access log with a request signed on this device.</p>
      {!access.value && !access.error && <Busy label="Asking each hospital’s gatekeeper" />}
      <ErrorNote error={access.error} />
      {access.value?.errors.map((e) => (
        <div key={e.hospital}>
          <p>{e.hospital}:</p>
          <ErrorNote error={e.error} />
        </div>
      ))}
      {access.value && access.value.rows.length === 0 && <p>No one has asked for your records yet.</p>}
      {access.value && access.value.rows.length > 0 && (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Access log">
          <table className="access">
            <caption className="visually-hidden">Access to your records, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Hospital</th>
                <th scope="col">Records</th>
                <th scope="col">Purpose</th>
                <th scope="col">Answer</th>
              </tr>
            </thead>
            <tbody>
              {access.value.rows.map((r) => (
                <tr key={`${r.hospital}-${r.seq}`} className={served(r) ? 'served' : 'refused'}>
                  <td>{when(r.at)}</td>
                  <td>{ROLE_TEXT[r.requesterRole ?? r.role ?? ''] ?? r.requesterRole ?? r.role ?? 'Unknown'}{r.mspId ? ` (${hospitalName(r.mspId)})` : ''}</td>
                  <td>{r.hospital}</td>
                  <td>{r.category ? categoryName(r.category) : '—'}{r.fields && r.fields.length > 0 ? ` (${r.fields.join(', ')})` : ''}</td>
                  <td>{purpose(r.purpose)}</td>
                  <td>{served(r) ? 'Served' : `Refused (${r.decision})`}{r.relationshipId ? <span className="visually-hidden"> relationship {short(r.relationshipId)}</span> : null}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Page>
  );
}
