import type { Device, Fetched, Relationship, SummaryEntry, Unreached } from '../device';

export interface Shelf {
  rel: Relationship;
  category: string;
  fetched?: Fetched;
  error?: unknown;
  /** never seen on this device, or its ledger hash changed since */
  mark?: 'new' | 'changed';
}

export interface PatientView {
  entries: SummaryEntry[];
  /** hospitals that did not answer: their relationships are missing from this view */
  unreached: Unreached[];
  rels: Relationship[];
  shelves: Shelf[];
}

const LIVE = new Set(['accepted', 'update_available']);
/** Marks found at a page's first sight of a hash stay for this session, whatever reloads follow. */
const sessionMarks = new Map<string, { hash: string; mark: Shelf['mark'] }>();
export const forgetSessionMarks = () => sessionMarks.clear();
const seenKey = (device: Device) => `medrec.seen.${device.participantId.slice(0, 16)}`;

/** Every relationship of the patient (home identity and delegates), and the records of each live one fetched, opened and checked here. */
export async function loadPatientView(device: Device, withRecords: boolean): Promise<PatientView> {
  const summary = await device.summary();
  const { unreached } = summary;
  const entries = summary.entries.filter((e) => e.role === 'patient');
  const rels = await Promise.all(entries.map((e) => device.relationship(e)));
  if (!withRecords) return { entries, unreached, rels, shelves: [] };
  const seen = JSON.parse(localStorage.getItem(seenKey(device)) ?? '{}') as Record<string, string>;
  const shelves = await Promise.all(
    rels
      .filter((r) => LIVE.has(r.status))
      .flatMap((rel) => rel.pointers.map((p) => ({ rel, p })))
      .map(async ({ rel, p }): Promise<Shelf> => {
        const key = `${rel.relationshipId.slice(0, 16)}:${p.category}`;
        const kept = sessionMarks.get(key);
        const mark = kept?.hash === p.hash ? kept.mark : seen[key] === undefined ? 'new' : seen[key] !== p.hash ? 'changed' : undefined;
        sessionMarks.set(key, { hash: p.hash, mark });
        seen[key] = p.hash;
        try {
          return { rel, category: p.category, fetched: await device.fetch(rel, p.category), ...(mark ? { mark } : {}) };
        } catch (error) {
          return { rel, category: p.category, error, ...(mark ? { mark } : {}) };
        }
      }),
  );
  localStorage.setItem(seenKey(device), JSON.stringify(seen));
  return { entries, unreached, rels, shelves };
}
