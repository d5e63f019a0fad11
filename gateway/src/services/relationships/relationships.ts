import type { Category, GrantRequest, Pointer, RelationshipView } from '@medrec/chaincode/domain';
import type { MedrecClient, Submitted } from '../../contract/client.js';
import { Relationship, Summary } from '../../contract/medrec.js';
import { endorsedBy } from '../../contract/request.js';
import type { Signer } from '../../ports/ledger.js';
import { badRequest, conflict, notFound } from '../problem.js';
import { hashResources, type RecordService } from '../records/records.js';
import type { PatientLinks } from './links.js';

export interface RelationshipDeps {
  mspId: string;
  /** Read on every use: the origin may be settled only after listen (port 0). */
  publicUrl: () => string;
  client: MedrecClient;
  records: RecordService;
  links: PatientLinks;
}

/** The patient's decisions on a relationship, each endorsed by the provider's hospital. */
export type PatientAction = 'accept' | 'reject' | 'remove' | 'acknowledge';

const PATIENT_ACTIONS = {
  accept: Relationship.accept,
  reject: Relationship.reject,
  remove: Relationship.remove,
  acknowledge: Summary.acknowledge,
} as const;

export interface Receipt {
  txId: string;
  blockNumber: string;
}

const receipt = (s: Submitted<unknown>): Receipt => ({ txId: s.txId, blockNumber: s.blockNumber });

/**
 * Relationships as this hospital's users act on them: a provider links a registered patient to a
 * local chart and publishes pointers (hashes of the records held here); the patient accepts,
 * rejects, deletes, acknowledges, grants and revokes. Every change is signed by the user.
 */
export class RelationshipService {
  constructor(private readonly deps: RelationshipDeps) {}

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

  async create(signer: Signer, linkedBy: string, patientId: string, mrn: string) {
    const { links, records, client, mspId } = this.deps;
    const linked = links.get(patientId);
    if (linked !== undefined && linked !== mrn) {
      throw conflict('PATIENT_LINK_CONFLICT', 'this participant is already linked to another local patient');
    }
    if ((await records.fetch('Patient', mrn)).length === 0) throw notFound('PATIENT_NOT_FOUND', 'no local patient has that MRN');
    const pointers = await this.pointersFor(mrn);
    const created = await client.submit(
      signer,
      endorsedBy(Relationship.createBatch([{ patientId, endpoint: this.deps.publicUrl(), pointers }]), mspId),
    );
    links.set(patientId, mrn, linkedBy);
    return { relationshipId: created.value[0]!, pointers, ...receipt(created) };
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
    const updated: Pointer[] = [];
    for (const p of await this.pointersFor(mrn, categories)) {
      const result = await client.submit(signer, endorsedBy(Relationship.putPointer(view.relationshipId, p.category, p.hash), mspId));
      updated.push(result.value);
    }
    return updated;
  }

  async patientAction(signer: Signer, relationshipId: string, action: PatientAction) {
    const view = await this.get(signer, relationshipId);
    const result = await this.deps.client.submit(signer, endorsedBy(PATIENT_ACTIONS[action](view.relationshipId), view.providerMspId));
    return { relationshipId: view.relationshipId, ...receipt(result) };
  }

  async grant(signer: Signer, relationshipId: string, viewerId: string, grant: GrantRequest) {
    if (Date.parse(grant.validUntil) <= Date.now()) throw badRequest('VALID_UNTIL_PAST', 'validUntil must be in the future');
    const view = await this.get(signer, relationshipId);
    const request = Relationship.grant(view.relationshipId, viewerId, grant);
    const result = await this.deps.client.submit(signer, endorsedBy(request, view.providerMspId));
    return { relationshipId: view.relationshipId, viewerId, ...receipt(result) };
  }

  async revoke(signer: Signer, relationshipId: string, viewerId: string) {
    const view = await this.get(signer, relationshipId);
    const result = await this.deps.client.submit(signer, endorsedBy(Relationship.revoke(view.relationshipId, viewerId), view.providerMspId));
    return { relationshipId: view.relationshipId, viewerId, ...receipt(result) };
  }
}
