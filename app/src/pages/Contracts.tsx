import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import type { Device, Grant, Relationship } from '../device';
import { categoryName } from '../fhir';
import { useDevice, useSession } from '../session';
import { Busy, ErrorNote, Page, UnreachedNote, hospitalName, short, useAction, useLoad, when } from '../ui';
import { loadPatientView } from './records-data';

const STATUS_TEXT: Record<string, string> = {
  new: 'Waiting for your answer',
  accepted: 'Accepted',
  update_available: 'New data available',
  rejected: 'Rejected',
  deleted: 'Deleted',
};

export function Contracts({ live }: { live: number }) {
  const device = useDevice();
  const view = useLoad(() => loadPatientView(device, false), [device, live]);
  const rels = (view.value?.rels ?? []).filter((r) => r.status !== 'deleted');
  return (
    <Page title="Contracts">
      <p>Each hospital that holds records about you asks to link them to you. Here you answer, and decide who else may see what.</p>
      <p>
        Another hospital gave you a code? <Link to="/hospitals">Add a hospital</Link>.
      </p>
      {!view.value && !view.error && <Busy label="Reading your relationships from the ledger" />}
      <ErrorNote error={view.error} />
      <UnreachedNote unreached={view.value?.unreached} />
      {view.value && rels.length === 0 && <p>No relationships yet.</p>}
      {rels.map((rel) => (
        <RelationshipCard key={rel.relationshipId} device={device} rel={rel} onChange={view.reload} />
      ))}
    </Page>
  );
}

function RelationshipCard({ device, rel, onChange }: { device: Device; rel: Relationship; onChange(): void }) {
  const { busy, error, run } = useAction();
  const act = (contract: string, transaction: string, args: string[]) => () =>
    run(async () => {
      await device.submit(rel, contract, transaction, args);
      onChange();
    });
  const id = rel.relationshipId;
  const hospital = hospitalName(rel.providerMspId);
  const live = rel.status === 'accepted' || rel.status === 'update_available';
  const grants = rel.grants.filter((g) => g.status === 'granted' && Date.parse(g.validUntil) > Date.now());
  return (
    <section className="card" aria-labelledby={`rel-${id}`}>
      <h2 id={`rel-${id}`}>{hospital}</h2>
      <p>
        <span className={`status ${rel.status}`}>{STATUS_TEXT[rel.status] ?? rel.status}</span> · since {when(rel.updatedAt)} · records:{' '}
        {rel.pointers.map((p) => categoryName(p.category)).join(', ') || 'none'}
      </p>
      <div className="actions">
        {(rel.status === 'new' || rel.status === 'rejected' || rel.status === 'update_available') && (
          <button type="button" className="primary" disabled={busy} onClick={act('Relationship', 'accept', [id])}>Accept {hospital}</button>
        )}
        {rel.status === 'update_available' && <button type="button" disabled={busy} onClick={act('Summary', 'acknowledge', [id])}>Acknowledge update</button>}
        {(rel.status === 'new' || rel.status === 'accepted' || rel.status === 'update_available') && (
          <button type="button" disabled={busy} onClick={act('Relationship', 'reject', [id])}>Reject</button>
        )}
        <button
          type="button"
          className="danger"
          disabled={busy}
          onClick={() => {
            if (window.confirm(`Delete the relationship with ${hospital}? This cannot be undone and ends every grant on it.`)) void act('Relationship', 'remove', [id])();
          }}
        >
          Delete
        </button>
      </div>
      {busy && <Busy label="Signing on this device and writing to the ledger" />}
      <ErrorNote error={error} />
      {live && (
        <>
          <h3>Shared with</h3>
          {grants.length === 0 ? <p className="hint">No one.</p> : <GrantList device={device} rel={rel} grants={grants} onChange={onChange} />}
          <GrantForm device={device} rel={rel} onChange={onChange} />
        </>
      )}
    </section>
  );
}

function GrantList({ device, rel, grants, onChange }: { device: Device; rel: Relationship; grants: Grant[]; onChange(): void }) {
  const { busy, error, run } = useAction();
  return (
    <>
      <ul className="grants">
        {grants.map((g) => (
          <li key={g.viewerId}>
            <span>
              Viewer {short(g.viewerId)}: {g.items.map((i) => `${categoryName(i.category)} (${i.fields.join(', ')})`).join('; ')} · until {when(g.validUntil)} · purpose {g.purpose}
            </span>
            <button
              type="button"
              disabled={busy}
              aria-label={`Revoke viewer ${short(g.viewerId)}`}
              onClick={() =>
                run(async () => {
                  await device.submit(rel, 'Relationship', 'revoke', [rel.relationshipId, g.viewerId]);
                  onChange();
                })
              }
            >
              Revoke
            </button>
          </li>
        ))}
      </ul>
      {busy && <Busy label="Revoking" />}
      <ErrorNote error={error} />
    </>
  );
}

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

function GrantForm({ device, rel, onChange }: { device: Device; rel: Relationship; onChange(): void }) {
  const { catalogue } = useSession();
  const [code, setCode] = useState('');
  const [viewer, setViewer] = useState<{ participantId: string; role: string; mspId: string } | null>(null);
  const [ticked, setTicked] = useState<Record<string, string[]>>({});
  const [until, setUntil] = useState(isoDay(new Date(Date.now() + 30 * 86_400_000)));
  const [purpose, setPurpose] = useState('FAMRQT');
  const find = useAction();
  const grant = useAction();
  const categories = (catalogue?.categories ?? []).filter((c) => rel.pointers.some((p) => p.category === c.category));
  const prefix = `g-${rel.relationshipId.slice(0, 8)}`;
  const toggle = (category: string, field: string, on: boolean) => {
    const now = new Set(ticked[category] ?? []);
    if (on) now.add(field);
    else now.delete(field);
    setTicked({ ...ticked, [category]: [...now] });
  };
  const lookUp = (e: FormEvent) => {
    e.preventDefault();
    void find.run(async () => {
      setViewer(null);
      setViewer(await device.resolveShareCode(code));
    });
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const items = Object.entries(ticked)
      .filter(([, fields]) => fields.length > 0)
      .map(([category, fields]) => ({ category, fields: [...fields].sort() }));
    if (!viewer) return grant.setError({ code: 'NO_VIEWER' });
    if (items.length === 0) return grant.setError({ code: 'NO_FIELDS' });
    const validUntil = new Date(`${until}T23:59:59Z`).toISOString().replace(/\.\d+Z$/, 'Z');
    void grant.run(async () => {
      await device.submit(rel, 'Relationship', 'grant', [rel.relationshipId, viewer.participantId, JSON.stringify({ items, validUntil, purpose })]);
      setTicked({});
      setViewer(null);
      setCode('');
      onChange();
    });
  };
  return (
    <details className="grant-form">
      <summary>Share records from {hospitalName(rel.providerMspId)} with someone</summary>
      <form onSubmit={lookUp}>
        <label htmlFor={`${prefix}-code`}>Their share code (they find it under “Shared with me”)</label>
        <input id={`${prefix}-code`} autoComplete="off" autoCapitalize="characters" spellCheck={false} placeholder="ABCD-EFGH" value={code} onChange={(e) => setCode(e.target.value)} required />
        <button type="submit" disabled={find.busy}>Find</button>
        <ErrorNote error={find.error} />
      </form>
      {viewer && (
        <form onSubmit={submit}>
          <p className="found" role="status">
            Found: a {viewer.role} at {hospitalName(viewer.mspId)} ({short(viewer.participantId)}).
          </p>
          {categories.map((c) => (
            <fieldset key={c.category}>
              <legend>{categoryName(c.category)}</legend>
              <div className="fields">
                {c.fields.map((f) => {
                  const id = `${prefix}-${c.category}-${f}`;
                  return (
                    <span key={f} className="field">
                      <input id={id} type="checkbox" checked={(ticked[c.category] ?? []).includes(f)} onChange={(e) => toggle(c.category, f, e.target.checked)} />
                      <label htmlFor={id}>{f}</label>
                    </span>
                  );
                })}
              </div>
            </fieldset>
          ))}
          <label htmlFor={`${prefix}-until`}>Until</label>
          <input id={`${prefix}-until`} type="date" value={until} min={isoDay(new Date(Date.now() + 86_400_000))} max={isoDay(new Date(Date.now() + 364 * 86_400_000))} onChange={(e) => setUntil(e.target.value)} required />
          <label htmlFor={`${prefix}-purpose`}>Purpose</label>
          <select id={`${prefix}-purpose`} value={purpose} onChange={(e) => setPurpose(e.target.value)}>
            {(catalogue?.purposes ?? []).map((p) => (
              <option key={p.code} value={p.code}>
                {p.label}
              </option>
            ))}
          </select>
          <button type="submit" className="primary" disabled={grant.busy}>Share</button>
          {grant.busy && <Busy label="Signing the grant on this device" />}
          <ErrorNote error={grant.error} />
        </form>
      )}
    </details>
  );
}
