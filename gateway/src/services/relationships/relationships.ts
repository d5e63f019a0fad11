import {
  existingRelationshipOf,
  isDelegateRequired,
  latestValidUntil,
  patientRefusal,
  type Category,
  type Grant,
  type GrantRequest,
  type Pointer,
  type RelationshipStatus,
  type RelationshipView,
} from '@medrec/chaincode/domain';
import type { MedrecClient, Submitted } from '../../contract/client.js';
import { Relationship, Summary } from '../../contract/medrec.js';
import { endorsedBy } from '../../contract/request.js';
import { ChaincodeError, type LedgerCalls, type Signer } from '../../ports/ledger.js';
import { badRequest, conflict, forbidden, notFound } from '../problem.js';
import { hashResources, type RecordService } from '../records/records.js';
import type { ChartProof } from './chart.js';
import type { PatientLinks } from './links.js';
import { isCommitConflict, settle } from './settle.js';

export interface RelationshipDeps {
  mspId: string;
  /** Read on every use: the origin may be settled only after listen (port 0). */
  publicUrl: () => string;
  client: MedrecClient<LedgerCalls>;
  records: RecordService;
  links: PatientLinks;
  chart: ChartProof;
  /** This hospital's longest grant in days: the consortium's maximum (the chaincode's) or less. */
  grantMaxDays: number;
}

/** The patient's decisions on a relationship, each endorsed by the provider's hospital. */
export type PatientAction = 'accept' | 'reject' | 'remove' | 'acknowledge';

const PATIENT_ACTIONS = {
  accept: Relationship.accept,
  reject: Relationship.reject,
  remove: Relationship.remove,
  acknowledge: Summary.acknowledge,
} as const;

/** The status each decision leads to: asking for it again changes nothing. */
const OUTCOME: Record<PatientAction, RelationshipStatus> = { accept: 'accepted', reject: 'rejected', remove: 'deleted', acknowledge: 'accepted' };

/** The transaction that made a change; both null when the ledger already held it (nothing was submitted). */
export interface Receipt {
  txId: string | null;
  blockNumber: string | null;
}

const receipt = (s: Submitted<unknown>): Receipt => ({ txId: s.txId, blockNumber: s.blockNumber });
const UNCHANGED: Receipt = { txId: null, blockNumber: null };

/** A grant as the ledger would store this request: categories and fields in a fixed order. */
function sameGrant(grant: Grant, request: GrantRequest): boolean {
  const norm = (items: GrantRequest['items']) =>
    JSON.stringify([...items].map((i) => [i.category, [...i.fields].sort()]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))));
  return (
    grant.status === 'granted' &&
    grant.purpose === request.purpose &&
    Date.parse(grant.validUntil) === Date.parse(request.validUntil) &&
    norm(grant.items) === norm(request.items)
  );
}

/** A patient registered at another hospital named by her home id (the ledger's DELEGATE_REQUIRED refusal). */
const delegateRequired = () =>
  forbidden(
    'DELEGATE_REQUIRED',
    'a patient registered at another hospital is treated here under a delegate: register one for the chart (POST /registrar/delegates) and create by mrn',
  );

/**
 * Relationships as this hospital's users act on them: a provider links a registered patient to a
 * local chart and publishes pointers (hashes of the records held here); the patient accepts,
 * rejects, deletes, acknowledges, grants and revokes. Every change is signed by the user.
 */
export class RelationshipService {
  constructor(private readonly deps: RelationshipDeps) {}

  /** The same service over another ledger client: a custodial delegate's, at its own hospital's gateway (docs/privacy.md §3). */
  via(client: MedrecClient<LedgerCalls>): RelationshipService {
    return new RelationshipService({ ...this.deps, client });
  }

  /** The pointer hash of every category this hospital holds data for (empty categories get none). */
  async pointersFor(mrn: string, categories?: readonly Category[]) {
    const { records } = this.deps;
    const pointers: { category: Category; hash: string }[] = [];
    for (const category of categories ?? records.categories()) {
      const resources = await records.fetch(category, mrn);
      if (resources.length > 0) pointers.push({ category, hash: hashResources(resources) });
    }
    return pointers;
  }

  /**
   * Opens the relationship between a registered patient and a local chart: the chart must prove to
   * be that patient's (ChartProof), chart and patient are linked one to one, and the ledger refuses
   * a second relationship for the same patient at this hospital — also when two creates race (they
   * conflict at commit) — so the answer then is 409 RELATIONSHIP_EXISTS naming the existing one,
   * which is also what a client's retry gets. Without `patientId`, the participant the chart is bound
   * to already: under delegates (docs/privacy.md §3) the delegate this hospital's registrar registered
   * for it, so the provider needs no identifier of the patient at all; a chart bound to no one: 409
   * CHART_NOT_BOUND. A patientId registered by another hospital (her home id): 403 DELEGATE_REQUIRED,
   * and nothing is linked or written.
   */
  async create(signer: Signer, linkedBy: string, named: string | undefined, mrn: string) {
    const { records, client, links, mspId } = this.deps;
    if ((await records.fetch('Patient', mrn)).length === 0) throw notFound('PATIENT_NOT_FOUND', 'no local patient has that MRN');
    const patientId = named ?? this.boundTo(mrn);
    await this.link(signer, linkedBy, patientId, mrn);
    const pointers = await this.pointersFor(mrn);
    const request = endorsedBy(Relationship.createBatch([{ patientId, endpoint: this.deps.publicUrl(), pointers }]), mspId);
    for (let attempt = 1; ; attempt++) {
      try {
        const created = await client.submit(signer, request);
        links.setRelationship(patientId, created.value[0]!);
        return { relationshipId: created.value[0]!, patientId, pointers, ...receipt(created) };
      } catch (err) {
        if (err instanceof ChaincodeError && isDelegateRequired(err.message)) throw delegateRequired();
        const existing = err instanceof ChaincodeError ? existingRelationshipOf(err.message) : undefined;
        if (existing) {
          throw conflict('RELATIONSHIP_EXISTS', 'this patient already has a relationship with this hospital', { relationshipId: existing });
        }
        // Another create for the same patient committed first: run again, and the ledger names it.
        if (!isCommitConflict(err) || attempt >= 3) throw err;
      }
    }
  }

  /**
   * Before a registrar registers a delegate for a local chart (docs/privacy.md §3): the chart exists
   * and is linked to no one yet. No external id can prove a delegate's chart later, so the
   * registrar's own binding (bindDelegate) is the proof.
   */
  async delegateChartFree(mrn: string): Promise<void> {
    if ((await this.deps.records.fetch('Patient', mrn)).length === 0) throw notFound('PATIENT_NOT_FOUND', 'no local patient has that MRN');
    if (this.deps.links.chartLinked(mrn)) throw conflict('PATIENT_LINK_CONFLICT', 'this chart is already linked to a participant here');
  }

  /** The participant a local chart is bound to (a delegate, or a patient an earlier chart proof linked). */
  private boundTo(mrn: string): string {
    const participantId = this.deps.links.participantOf(mrn);
    if (participantId === undefined) {
      throw conflict('CHART_NOT_BOUND', 'no participant is bound to this chart here: a registrar registers its delegate first (POST /registrar/delegates)');
    }
    return participantId;
  }

  /** Links a delegate the registrar has just registered to the chart it registered it for. */
  bindDelegate(participantId: string, mrn: string, linkedBy: string): void {
    if (!this.deps.links.set(participantId, mrn, linkedBy)) throw conflict('PATIENT_LINK_CONFLICT', 'this chart is already linked to a participant here');
  }

  /** Links a local chart to a registered patient, one to one, once the chart proves to be theirs (ChartProof). */
  async link(signer: Signer, linkedBy: string, patientId: string, mrn: string): Promise<void> {
    const { links, chart } = this.deps;
    // A pair linked already was proven then: by a chart proof, or by the registrar who bound a delegate to this chart.
    if (links.get(patientId) === mrn) return;
    // The ledger refuses her home id here (patientRefusal): say so before linking her chart to it.
    const home = await chart.prove(signer, mrn, patientId);
    if (patientRefusal({ mspId: home }, this.deps.mspId)) throw delegateRequired();
    if (!links.set(patientId, mrn, linkedBy)) {
      throw conflict('PATIENT_LINK_CONFLICT', 'this participant or this chart is already linked to another one here');
    }
  }

  get(signer: Signer, relationshipId: string): Promise<RelationshipView> {
    return this.deps.client.evaluate(signer, Relationship.get(relationshipId));
  }

  /** Re-hashes the patient's records here and moves the pointers (the patient then sees update_available). */
  async refreshPointers(signer: Signer, relationshipId: string, categories?: readonly Category[]): Promise<Pointer[]> {
    const { links, client, mspId } = this.deps;
    const view = await this.get(signer, relationshipId);
    const mrn = links.get(view.patientId);
    if (mrn === undefined || view.providerMspId !== mspId) {
      throw notFound('PATIENT_NOT_LINKED', 'this hospital holds no records for that relationship');
    }
    // Charts linked before the watcher existed learn their relationship here (the watcher follows them from now on).
    links.setRelationship(view.patientId, view.relationshipId);
    const updated: Pointer[] = [];
    for (const p of await this.pointersFor(mrn, categories)) {
      // A concurrent refresh that already wrote this very hash settles the race.
      const pointer = await settle({
        checkFirst: false,
        current: async () => (await this.get(signer, relationshipId)).pointers.find((q) => q.category === p.category && q.hash === p.hash),
        submit: async () => (await client.submit(signer, endorsedBy(Relationship.putPointer(view.relationshipId, p.category, p.hash), mspId))).value,
      });
      updated.push(pointer);
    }
    return updated;
  }

  /** accept, reject, remove, acknowledge; asking for the status the relationship already has changes nothing. */
  async patientAction(signer: Signer, relationshipId: string, action: PatientAction) {
    const view = await this.get(signer, relationshipId);
    const id = view.relationshipId;
    const result = await settle({
      current: async () => ((await this.get(signer, id)).status === OUTCOME[action] ? UNCHANGED : undefined),
      submit: async () => receipt(await this.deps.client.submit(signer, endorsedBy(PATIENT_ACTIONS[action](id), view.providerMspId))),
    });
    return { relationshipId: id, status: OUTCOME[action], ...result };
  }

  /** Grants a viewer access; the same grant again (as when a client retries) changes nothing. */
  async grant(signer: Signer, relationshipId: string, viewerId: string, grant: GrantRequest) {
    const until = Date.parse(grant.validUntil);
    if (until <= Date.now()) throw badRequest('VALID_UNTIL_PAST', 'validUntil must be in the future');
    const latest = Math.min(Date.parse(latestValidUntil(new Date().toISOString())), Date.now() + this.deps.grantMaxDays * 86_400_000);
    if (until > latest) {
      throw badRequest('VALID_UNTIL_TOO_LATE', `a grant may last at most ${this.deps.grantMaxDays} days`, { maxDays: this.deps.grantMaxDays });
    }
    const view = await this.get(signer, relationshipId);
    const id = view.relationshipId;
    const result = await settle({
      current: async () => ((await this.get(signer, id)).grants.some((g) => g.viewerId === viewerId && sameGrant(g, grant)) ? UNCHANGED : undefined),
      submit: async () => receipt(await this.deps.client.submit(signer, endorsedBy(Relationship.grant(id, viewerId, grant), view.providerMspId))),
    });
    return { relationshipId: id, viewerId, status: 'granted' as const, ...result };
  }

  /** Revokes a viewer's grant; revoking a revoked grant changes nothing. */
  async revoke(signer: Signer, relationshipId: string, viewerId: string) {
    const view = await this.get(signer, relationshipId);
    const id = view.relationshipId;
    const result = await settle({
      current: async () => ((await this.get(signer, id)).grants.some((g) => g.viewerId === viewerId && g.status === 'revoked') ? UNCHANGED : undefined),
      submit: async () => receipt(await this.deps.client.submit(signer, endorsedBy(Relationship.revoke(id, viewerId), view.providerMspId))),
    });
    return { relationshipId: id, viewerId, status: 'revoked' as const, ...result };
  }
}
