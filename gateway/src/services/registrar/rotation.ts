import type { MedrecClient } from '../../contract/client.js';
import { Registrar } from '../../contract/medrec.js';
import type { Signer } from '../../ports/ledger.js';
import type { AuditEntry } from '../audit/record.js';
import type { ChartProof } from '../relationships/chart.js';
import { Problem } from '../problem.js';
import type { ExternalIds } from './external-ids.js';
import type { IndexKeys } from './index-keys.js';

/** The audit log's category for a rotation's steps: who, when and how many (never an id or an entry). */
export const ROTATION_CATEGORY = 'IndexKeyRotation';

export interface RotationDeps {
  mspId: string;
  keys: IndexKeys;
  externalIds: ExternalIds;
  client: MedrecClient;
  /** The hospital's registrar: only a registrar of the entries' home may re-key them (Registrar.rekey). */
  registrar: () => Promise<Signer>;
  /** Where a chart's own identifier comes from (the mapping's chart identifier), as for a chart proof. */
  chart: Pick<ChartProof, 'identifier'>;
  /** The ids the gateway knows without a chart: its staff's (kind staff-id, from the username) and the users it provisions at start. */
  knownIds: () => { kind: string; externalId: string }[];
  audit: (entry: AuditEntry) => Promise<unknown>;
  now?: () => Date;
}

export interface RotationStep {
  state: 'rotating';
  /** entries moved to the new key by this step */
  rekeyed: number;
  /** entries an earlier step (or run) had moved already */
  present: number;
  /** charts or known ids with no entry of this hospital under either key (not registered here) */
  absent: number;
  /** charts this hospital could not read an identifier from */
  unreadable: number;
}

const idle = () => new Problem(409, 'ROTATION_NOT_STARTED', 'no index-key rotation is under way');

/**
 * Rotating a home's external-id index key (docs/privacy.md §2). The gateway keeps no external id
 * (only the ledger's entries, which cannot be inverted), so the plain ids to re-derive from are its
 * EHR's charts (the identifier its mapping declares, the one chart proofs trust), its staff
 * usernames and the users its configuration provisions. `begin` makes the new key (from then on new registrations use it, lookups try it and
 * then the old one); each `rekey` moves the entries of some charts (and the staff's) in one ledger
 * transaction, old entry deleted, so the auditors' history keeps the chain; `complete` deletes the
 * old key. Every step is idempotent (an entry moved already comes back `present`), so a crashed or
 * repeated run is resumed by running it again, and each step is audited.
 */
export class IndexRotation {
  constructor(private readonly deps: RotationDeps) {}

  status(): { state: 'rotating' | 'idle' } {
    return { state: this.deps.keys.rotating ? 'rotating' : 'idle' };
  }

  async begin(by: Actor): Promise<{ state: 'rotating' }> {
    this.deps.keys.begin();
    await this.audited(by, 'rotation-begun');
    return { state: 'rotating' };
  }

  /** Moves the entries of these charts, and of the people it knows without a chart, to the new key: one ledger transaction. */
  async rekey(by: Actor, mrns: readonly string[]): Promise<RotationStep> {
    const { keys, client, externalIds, chart } = this.deps;
    if (!keys.rotating) throw idle();
    const [current, previous] = keys.all();
    let unreadable = 0;
    const people: { kind: string; externalId: string }[] = [...this.deps.knownIds()];
    for (const mrn of mrns) {
      try {
        const { kind, value } = await chart.identifier(mrn);
        people.push({ kind, externalId: value });
      } catch (err) {
        if (!(err instanceof Problem && err.status < 500)) throw err;
        unreadable++;
      }
    }
    const registrar = await this.deps.registrar();
    const items: { oldHash: string; newHash: string }[] = [];
    let present = 0;
    let absent = 0;
    const seen = new Set<string>();
    for (const { kind, externalId } of people) {
      const oldHash = previous!.ownHash(kind, externalId);
      if (seen.has(oldHash)) continue;
      seen.add(oldHash);
      const found = await externalIds.ownEntry({ ledger: registrar }, kind, externalId);
      if (!found || found.result.mspId !== this.deps.mspId) absent++;
      else if (found.hash === oldHash) items.push({ oldHash, newHash: current!.ownHash(kind, externalId) });
      else present++;
    }
    let rekeyed = 0;
    if (items.length > 0) {
      const outcomes = (await client.submit(registrar, Registrar.rekey(items))).value;
      rekeyed = outcomes.filter((o) => o === 'rekeyed').length;
      present += outcomes.length - rekeyed;
    }
    const step: RotationStep = { state: 'rotating', rekeyed, present, absent, unreadable };
    await this.audited(by, `rekeyed:${rekeyed},present:${present},absent:${absent},unreadable:${unreadable}`);
    return step;
  }

  /** Retires the old key: entries still under it are no longer found by external id. */
  async complete(by: Actor): Promise<{ state: 'idle' }> {
    if (!this.deps.keys.rotating) throw idle();
    this.deps.keys.complete();
    await this.audited(by, 'rotation-completed');
    return { state: 'idle' };
  }

  private async audited(by: Actor, decision: string): Promise<void> {
    await this.deps.audit({
      at: (this.deps.now ?? (() => new Date()))().toISOString(),
      requester: by.identityId,
      mspId: this.deps.mspId,
      role: by.role,
      relationshipId: null,
      category: ROTATION_CATEGORY,
      fields: null,
      decision,
      status: 200,
      hashMatches: null,
      jti: null,
      exp: null,
    });
  }
}

/** Who asked for a step (the hospital admin's session). */
export interface Actor {
  identityId: string;
  role: string;
}
