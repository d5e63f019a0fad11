import { useState } from 'react';
import type { Device, Fetched, Grant, Relationship, SummaryEntry } from '../device';
import { categoryName } from '../fhir';
import { useDevice } from '../session';
import { Busy, ErrorNote, Page, hospitalName, short, useAction, useLoad, when } from '../ui';
import { Badge } from './Badge';
import { Resources } from './Resources';

/** The last ledger view of each shared relationship, so a refusal after a revocation can still be shown as such. */
const lastSeen = new Map<string, { rel: Relationship; grant: Grant }>();

interface SharedItem {
  entry: SummaryEntry;
  rel?: Relationship;
  grant?: Grant;
  error?: unknown;
}

async function loadShared(device: Device): Promise<SharedItem[]> {
  const entries = (await device.summary()).entries.filter((e) => e.role === 'viewer');
  return Promise.all(
    entries.map(async (entry): Promise<SharedItem> => {
      try {
        const rel = await device.relationship(entry);
        const grant = rel.grants.find((g) => g.viewerId === device.participantId);
        if (grant) lastSeen.set(entry.relationshipId, { rel, grant });
        return { entry, rel, ...(grant ? { grant } : {}) };
      } catch (error) {
        const seen = lastSeen.get(entry.relationshipId);
        return { entry, error, ...(seen ?? {}) };
      }
    }),
  );
}

/** Every top-level data element in the resources served: not resourceType, id, nor meta (the SUBSETTED tag of a projection). */
const receivedFields = (f: Fetched) =>
  [...new Set(((f.answer.bundle as { entry?: { resource: Record<string, unknown> }[] }).entry ?? []).flatMap((e) => Object.keys(e.resource)))]
    .filter((k) => k !== 'resourceType' && k !== 'id' && k !== 'meta')
    .sort();

export function Shared({ live }: { live: number }) {
  const device = useDevice();
  const items = useLoad(() => loadShared(device), [device, live]);
  const code = useAction();
  const [shareCode, setShareCode] = useState<{ code: string; expiresAt: string } | null>(null);
  return (
    <Page title="Shared with me">
      <section className="card" aria-labelledby="code-title">
        <h2 id="code-title">My share code</h2>
        <p>To let a patient share records with you, show them this code. It stands for you for one day; it says nothing about you.</p>
        {shareCode ? (
          <p>
            <strong className="share-code" aria-label="Share code">{shareCode.code}</strong> <span className="hint">valid until {when(shareCode.expiresAt)}</span>
          </p>
        ) : (
          <button type="button" disabled={code.busy} onClick={() => code.run(async () => setShareCode(await device.shareCode()))}>Show my share code</button>
        )}
        <ErrorNote error={code.error} />
      </section>
      {!items.value && !items.error && <Busy label="Reading what is shared with you" />}
      <ErrorNote error={items.error} />
      {items.value && items.value.length === 0 && <p>Nothing has been shared with you yet.</p>}
      {items.value?.map((item) => <SharedCard key={item.entry.relationshipId} device={device} item={item} />)}
    </Page>
  );
}

function SharedCard({ device, item }: { device: Device; item: SharedItem }) {
  const { rel, grant } = item;
  const [shown, setShown] = useState<Record<string, Fetched>>({});
  const fetching = useAction();
  const live = item.entry.status === 'granted' && !item.error;
  return (
    <section className="card" aria-labelledby={`shared-${item.entry.relationshipId}`}>
      <h2 id={`shared-${item.entry.relationshipId}`}>
        From patient {short(rel?.patientId ?? item.entry.relationshipId)} at {hospitalName(rel?.providerMspId ?? item.entry.providerMspId)}
      </h2>
      {grant && (
        <p>
          {live ? 'Shared' : 'Was shared'} for {grant.purpose} until {when(grant.validUntil)}
        </p>
      )}
      {!live && <p className="status revoked">{item.entry.status === 'revoked' ? 'The patient has withdrawn this permission.' : item.entry.status}</p>}
      <ErrorNote error={item.error} />
      {rel &&
        grant?.items.map((it) => (
          <article key={it.category} className="shelf" aria-label={`Shared ${categoryName(it.category)}`}>
            <h3>
              {categoryName(it.category)} <span className="hint">({it.fields.join(', ')})</span>
              {shown[it.category] && <Badge check={shown[it.category]!.check} projected={shown[it.category]!.answer.projected} />}
            </h3>
            <button
              type="button"
              disabled={fetching.busy}
              onClick={() =>
                fetching.run(async () => {
                  const { [it.category]: _old, ...rest } = shown;
                  setShown(rest);
                  const got = await device.fetch(rel, it.category, it.fields);
                  setShown({ ...rest, [it.category]: got });
                })
              }
            >
              Fetch {categoryName(it.category)}
            </button>
            {shown[it.category] && (
              <>
                <p className="received">Fields received: <span data-testid="received-fields">{receivedFields(shown[it.category]!).join(', ')}</span></p>
                <Resources answer={shown[it.category]!.answer} />
              </>
            )}
          </article>
        ))}
      {fetching.busy && <Busy label="Fetching from the hospital and checking" />}
      <ErrorNote error={fetching.error} />
    </section>
  );
}
