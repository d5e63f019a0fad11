import { Context, Contract, Info, Param, Returns, Transaction } from 'fabric-contract-api';
import { grantIsLive } from '../domain/access';
import { mayOpenRelationship, patientRefusal, seesWholeRelationship } from '../domain/authorisation';
import { decideAccess, getPointer } from '../domain/decision';
import { rolesFor } from '../domain/transactions';
import { conflict, forbidden, invalid, MedrecError, notFound, relationshipExists } from '../domain/errors';
import { relationshipIdFor } from '../domain/ids';
import { keys, prefixes } from '../domain/keys';
import { grantAllowed, nextStatus } from '../domain/status';
import type {
  Grant,
  Notification,
  ParticipantRecord,
  RelationshipHistory,
  RelationshipRecord,
  RelationshipView,
} from '../domain/types';
import {
  parseCreateBatch,
  parsePatientIds,
  parseGrantJson,
  parsePointerBatch,
  requireCreateItem,
  requireHex64,
  type CreateItem,
  type PointerItem,
} from '../domain/validation';
import { certCaller, registeredCaller, type Caller } from './caller';
import {
  loadRelationship,
  pointerHistory,
  planPointer,
  pointersOf,
  putPointerValue,
  putRelationship,
  putPartySummaries,
  putViewerSummary,
  relationshipHistory,
  requirePatient,
  requireProvider,
  writePointer,
  writeStatus,
} from './relationships';
import { planBounty, writeBounty } from './research-state';
import { State } from './state';

@Info({ title: 'Relationship', description: 'Patient-provider relationships (PPR): pointers, status, viewer grants, access decisions' })
export class RelationshipContract extends Contract {
  constructor() {
    super('Relationship');
  }

  @Transaction()
  @Returns('string')
  @Param('patientId', 'string', "the patient's participant id")
  @Param('endpoint', 'string', "the provider's gatekeeper URL")
  async create(ctx: Context, patientId: string, endpoint: string): Promise<string> {
    const state = new State(ctx);
    const caller = await registeredCaller(ctx, state, rolesFor('Relationship.create'));
    const [rel] = await createAll(state, caller, [requireCreateItem({ patientId, endpoint })]);
    state.emit('RelationshipCreated', [patientNotification(rel)]);
    // The result is stored in the block: the id is all a caller needs (`get` reads the rest).
    return JSON.stringify({ relationshipId: rel.relationshipId });
  }

  @Transaction()
  @Returns('string')
  @Param('itemsJson', 'string', 'JSON [{patientId, endpoint, pointers?: [{category, hash}]}], at most 500; returns the new relationship ids in item order')
  async createBatch(ctx: Context, itemsJson: string): Promise<string> {
    const state = new State(ctx);
    const caller = await registeredCaller(ctx, state, rolesFor('Relationship.createBatch'));
    const rels = await createAll(state, caller, parseCreateBatch(itemsJson));
    state.emit('RelationshipsCreated', rels.map(patientNotification));
    // Ids only, in item order: the result is stored in the block, and callers know the rest.
    return JSON.stringify(rels.map((r) => r.relationshipId));
  }

  /**
   * Which of these patients already have a relationship with the caller's hospital that a new one
   * would be refused for (any but a deleted one): lets a batch job skip them, so that a resumed or
   * repeated job submits nothing for them.
   */
  @Transaction(false)
  @Returns('string')
  @Param('patientIdsJson', 'string', "JSON [patientId], at most 500; returns in order each one's relationship id with the caller's hospital, or null")
  async ofPatients(ctx: Context, patientIdsJson: string): Promise<string> {
    const state = new State(ctx);
    const caller = await registeredCaller(ctx, state, rolesFor('Relationship.ofPatients'));
    const found: (string | null)[] = [];
    for (const patientId of parsePatientIds(patientIdsJson)) found.push((await blockingRelationship(state, patientId, caller.mspId))?.relationshipId ?? null);
    return JSON.stringify(found);
  }

  @Transaction()
  @Returns('string')
  @Param('relationshipId', 'string', 'the relationship')
  @Param('category', 'string', 'FHIR resource type')
  @Param('sha256', 'string', 'SHA-256 (hex) of the canonical query result')
  async putPointer(ctx: Context, relationshipId: string, category: string, sha256: string): Promise<string> {
    const state = new State(ctx);
    const caller = await registeredCaller(ctx, state, rolesFor('Relationship.putPointer'));
    const plan = await planPointer(state, caller, relationshipId, category, sha256);
    state.emit('PointerUpdated', [await writePointer(state, plan)]);
    return JSON.stringify(plan.pointer);
  }

  /**
   * The white paper's bounty query (§2.6): a provider's pointer update carrying an aggregate query
   * from the catalogue, signed as part of the update, recorded and assigned to one research steward
   * from the transaction id. The steward collects the answer once from this hospital's gatekeeper.
   */
  @Transaction()
  @Returns('string')
  @Param('relationshipId', 'string', 'the relationship')
  @Param('category', 'string', 'FHIR resource type')
  @Param('sha256', 'string', 'SHA-256 (hex) of the canonical query result')
  @Param('bountyJson', 'string', 'JSON {template, code, criteria, groupBy, epsilon} from the aggregate catalogue')
  async putPointerWithBounty(ctx: Context, relationshipId: string, category: string, sha256: string, bountyJson: string): Promise<string> {
    const state = new State(ctx);
    const caller = await registeredCaller(ctx, state, rolesFor('Relationship.putPointerWithBounty'));
    const plan = await planPointer(state, caller, relationshipId, category, sha256);
    const bounty = await planBounty(state, caller, bountyJson);
    const patient = await writePointer(state, plan);
    await writeBounty(state, bounty);
    state.emit('PointerUpdated', [patient, { participantId: bounty.ownerId, status: 'bounty_assigned' }]);
    return JSON.stringify({ pointer: plan.pointer, bountyId: bounty.queryId, stewardId: bounty.ownerId });
  }

  @Transaction()
  @Returns('string')
  @Param('itemsJson', 'string', 'JSON [{relationshipId, category, sha256}], at most 500; returns how many pointers changed')
  async putPointers(ctx: Context, itemsJson: string): Promise<string> {
    const state = new State(ctx);
    const caller = await registeredCaller(ctx, state, rolesFor('Relationship.putPointers'));
    const byRelationship = new Map<string, PointerItem[]>();
    for (const item of parsePointerBatch(itemsJson)) byRelationship.set(item.relationshipId, [...(byRelationship.get(item.relationshipId) ?? []), item]);
    const notifications: Notification[] = [];
    let changed = 0;
    // All or nothing: every relationship is checked before the first write.
    const planned = [];
    for (const [relationshipId, items] of byRelationship) {
      const rel = await loadRelationship(state, relationshipId);
      requireProvider(caller, rel);
      const status = nextStatus(rel.status, 'putPointer');
      const updates = [];
      for (const item of items) {
        const previous = await getPointer(state, rel.relationshipId, item.category);
        // The same hash again is no change: no new version, no news for the patient.
        if (previous?.hash !== item.hash) updates.push({ item, previous });
      }
      if (updates.length > 0) planned.push({ rel, status, updates });
    }
    for (const { rel, status, updates } of planned) {
      for (const { item, previous } of updates) {
        await putPointerValue(state, { relationshipId: rel.relationshipId, category: item.category, hash: item.hash, version: (previous?.version ?? 0) + 1, updatedAt: state.now });
        if (!previous) await state.endorseBy(keys.pointer(rel.relationshipId, item.category), rel.providerMspId);
        changed++;
      }
      if (status !== rel.status) await writeStatus(state, rel, status);
      notifications.push({ participantId: rel.patientId, relationshipId: rel.relationshipId, status });
    }
    state.emit('PointersUpdated', notifications);
    return JSON.stringify(changed);
  }

  @Transaction()
  @Returns('string')
  @Param('relationshipId', 'string', 'the relationship to accept')
  async accept(ctx: Context, relationshipId: string): Promise<string> {
    const { state, next } = await patientStatusChange(ctx, relationshipId, 'accept');
    state.emit('RelationshipAccepted', partyNotifications(next));
    return JSON.stringify(next);
  }

  @Transaction()
  @Returns('string')
  @Param('relationshipId', 'string', 'the relationship to reject')
  async reject(ctx: Context, relationshipId: string): Promise<string> {
    const { state, next } = await patientStatusChange(ctx, relationshipId, 'reject');
    state.emit('RelationshipRejected', partyNotifications(next));
    return JSON.stringify(next);
  }

  @Transaction()
  @Returns('string')
  @Param('relationshipId', 'string', 'the relationship to delete (terminal; revokes every grant)')
  async remove(ctx: Context, relationshipId: string): Promise<string> {
    const { state, rel, next } = await patientStatusChange(ctx, relationshipId, 'remove');
    const revoked: Notification[] = [];
    for (const grant of await state.scan<Grant>(prefixes.grantsOf(rel.relationshipId))) {
      if (grant.status !== 'granted') continue;
      await revokeGrant(state, rel, grant);
      revoked.push({ participantId: grant.viewerId, relationshipId: rel.relationshipId, status: 'revoked' });
    }
    state.emit('RelationshipDeleted', [...partyNotifications(next), ...revoked]);
    return JSON.stringify(next);
  }

  @Transaction()
  @Returns('string')
  @Param('relationshipId', 'string', 'the relationship')
  @Param('viewerId', 'string', "the viewer's participant id")
  @Param('grantJson', 'string', 'JSON {items:[{category, fields}], validUntil (ISO), purpose (PurposeOfUse)}')
  async grant(ctx: Context, relationshipId: string, viewerId: string, grantJson: string): Promise<string> {
    const state = new State(ctx);
    const caller = await registeredCaller(ctx, state, rolesFor('Relationship.grant'));
    const viewer = requireHex64(viewerId, 'viewerId');
    const request = parseGrantJson(grantJson, state.now);
    const rel = await loadRelationship(state, relationshipId);
    requirePatient(caller, rel);
    if (!grantAllowed(rel.status)) throw conflict(`a grant needs an accepted relationship, this one is ${rel.status}`);
    if (viewer === rel.patientId) throw invalid('a patient does not grant to themself');
    const grantee = await state.get<ParticipantRecord>(keys.participant(viewer));
    if (!grantee) throw notFound('no such viewer');
    if (grantee.role !== 'viewer' && grantee.role !== 'provider') throw invalid('grants go to viewers or providers');
    const key = keys.grant(rel.relationshipId, viewer);
    const previous = await state.get<Grant>(key);
    const grant: Grant = { relationshipId: rel.relationshipId, viewerId: viewer, ...request, status: 'granted', grantedAt: state.now, updatedAt: state.now };
    await state.put(key, grant);
    if (!previous) await state.endorseBy(key, rel.providerMspId);
    await putViewerSummary(state, rel, viewer, 'granted');
    state.emit('GrantCreated', [{ participantId: viewer, relationshipId: rel.relationshipId, status: 'granted' }]);
    return JSON.stringify(grant);
  }

  @Transaction()
  @Returns('string')
  @Param('relationshipId', 'string', 'the relationship')
  @Param('viewerId', 'string', "the viewer's participant id")
  async revoke(ctx: Context, relationshipId: string, viewerId: string): Promise<string> {
    const state = new State(ctx);
    const caller = await registeredCaller(ctx, state, rolesFor('Relationship.revoke'));
    const viewer = requireHex64(viewerId, 'viewerId');
    const rel = await loadRelationship(state, relationshipId);
    requirePatient(caller, rel);
    const grant = await state.get<Grant>(keys.grant(rel.relationshipId, viewer));
    if (!grant) throw notFound('no grant for that viewer');
    if (grant.status !== 'granted') throw conflict('the grant is already revoked');
    const revoked = await revokeGrant(state, rel, grant);
    state.emit('GrantRevoked', [{ participantId: viewer, relationshipId: rel.relationshipId, status: 'revoked' }]);
    return JSON.stringify(revoked);
  }

  @Transaction(false)
  @Returns('string')
  @Param('relationshipId', 'string', 'the relationship')
  async get(ctx: Context, relationshipId: string): Promise<string> {
    const state = new State(ctx);
    const caller = await registeredCaller(ctx, state, rolesFor('Relationship.get'));
    const rel = await loadRelationship(state, relationshipId);
    const pointers = await pointersOf(state, rel.relationshipId);
    if (seesWholeRelationship(caller, rel)) {
      const view: RelationshipView = { ...rel, pointers, grants: await state.scan<Grant>(prefixes.grantsOf(rel.relationshipId)) };
      return JSON.stringify(view);
    }
    const own = await state.get<Grant>(keys.grant(rel.relationshipId, caller.participantId));
    if (own?.status === 'granted' && state.now >= own.validUntil) throw new MedrecError('EXPIRED', 'the grant has expired');
    if (!grantIsLive(own, state.now)) throw forbidden('only the parties, their viewers and auditors may read a relationship');
    // A viewer sees only its own grant and the pointers it was granted.
    const granted = new Set(own.items.map((i) => i.category));
    const view: RelationshipView = { ...rel, pointers: pointers.filter((p) => granted.has(p.category)), grants: [own] };
    return JSON.stringify(view);
  }

  @Transaction(false)
  @Returns('string')
  @Param('relationshipId', 'string', 'the relationship')
  @Param('requesterIdentityId', 'string', "the requester's identity id (iid)")
  @Param('category', 'string', 'FHIR resource type')
  @Param('fieldsJson', 'string', 'JSON array of requested top-level fields; [] means all it may see')
  async checkAccess(ctx: Context, relationshipId: string, requesterIdentityId: string, category: string, fieldsJson: string): Promise<string> {
    // The domain's decision, the same code the gateway's ledger adapters run on committed state.
    const state = new State(ctx);
    return JSON.stringify(await decideAccess(state, certCaller(ctx), { relationshipId, requesterIdentityId, category, fieldsJson }, state.now));
  }

  @Transaction(false)
  @Returns('string')
  @Param('relationshipId', 'string', 'the relationship')
  async history(ctx: Context, relationshipId: string): Promise<string> {
    const state = new State(ctx);
    await registeredCaller(ctx, state, rolesFor('Relationship.history'));
    const rel = await loadRelationship(state, relationshipId);
    const result: RelationshipHistory = {
      relationship: await relationshipHistory(state, rel.relationshipId),
      pointers: [],
      grants: [],
    };
    for (const p of await pointersOf(state, rel.relationshipId)) {
      result.pointers.push({ category: p.category, history: await pointerHistory(state, rel.relationshipId, p.category) });
    }
    for (const g of await state.scan<Grant>(prefixes.grantsOf(rel.relationshipId))) {
      result.grants.push({ viewerId: g.viewerId, history: await state.history(keys.grant(rel.relationshipId, g.viewerId)) });
    }
    return JSON.stringify(result);
  }

  override async unknownTransaction(): Promise<void> {
    throw notFound('Relationship has no such transaction');
  }
}

/** A new relationship is news to its patient only: the provider who created it has the result. */
function patientNotification(rel: RelationshipRecord): Notification {
  return { participantId: rel.patientId, relationshipId: rel.relationshipId, status: rel.status };
}

function partyNotifications(rel: RelationshipRecord): Notification[] {
  return [
    { participantId: rel.patientId, relationshipId: rel.relationshipId, status: rel.status },
    { participantId: rel.providerId, relationshipId: rel.relationshipId, status: rel.status },
  ];
}

async function patientStatusChange(ctx: Context, relationshipId: string, action: 'accept' | 'reject' | 'remove') {
  const state = new State(ctx);
  const caller = await registeredCaller(ctx, state, rolesFor(`Relationship.${action}`));
  const rel = await loadRelationship(state, relationshipId);
  requirePatient(caller, rel);
  const next = await writeStatus(state, rel, nextStatus(rel.status, action));
  return { state, rel, next };
}

async function revokeGrant(state: State, rel: RelationshipRecord, grant: Grant): Promise<Grant> {
  const revoked: Grant = { ...grant, status: 'revoked', updatedAt: state.now };
  await state.put(keys.grant(rel.relationshipId, grant.viewerId), revoked);
  await putViewerSummary(state, rel, grant.viewerId, 'revoked');
  return revoked;
}

/**
 * All or nothing: patients, and that none has an open relationship with the caller's hospital, are
 * checked before the first write. Relationship ids come from the transaction id and the item's
 * index, so no two items collide.
 */
async function createAll(state: State, caller: Caller, items: CreateItem[]): Promise<RelationshipRecord[]> {
  const patients = new Map<string, ParticipantRecord>();
  for (const [index, item] of items.entries()) {
    if (patients.has(item.patientId)) continue;
    const patient = await state.get<ParticipantRecord>(keys.participant(item.patientId));
    if (!patient) throw notFound(`item ${index}: no such patient`);
    if (patient.role !== 'patient') throw invalid(`item ${index}: the participant is not a patient`);
    const refusal = patientRefusal(patient, caller.mspId);
    if (refusal) throw forbidden(`item ${index}: ${refusal}`);
    patients.set(item.patientId, patient);
  }
  for (const item of items) {
    const existing = await blockingRelationship(state, item.patientId, caller.mspId);
    if (existing) throw relationshipExists(existing.relationshipId);
  }
  const rels: RelationshipRecord[] = [];
  for (const [index, item] of items.entries()) {
    const rel: RelationshipRecord = {
      relationshipId: relationshipIdFor(state.txId, index),
      patientId: item.patientId,
      providerId: caller.participantId,
      providerMspId: caller.mspId,
      endpoint: item.endpoint,
      status: 'new',
      createdAt: state.now,
      updatedAt: state.now,
    };
    await putRelationship(state, rel);
    await state.endorseBy(keys.relationship(rel.relationshipId), rel.providerMspId);
    const linkKey = keys.patientLink(rel.patientId, rel.providerMspId);
    await state.put(linkKey, { r: rel.relationshipId });
    await state.endorseBy(linkKey, rel.providerMspId);
    await putPartySummaries(state, rel);
    for (const p of item.pointers) {
      await putPointerValue(state, { relationshipId: rel.relationshipId, category: p.category, hash: p.hash, version: 1, updatedAt: state.now });
      await state.endorseBy(keys.pointer(rel.relationshipId, p.category), rel.providerMspId);
    }
    rels.push(rel);
  }
  return rels;
}

/** The patient's relationship with this hospital that stands in the way of a new one, if any. */
async function blockingRelationship(state: State, patientId: string, mspId: string): Promise<RelationshipRecord | null> {
  const link = await state.get<{ r: string }>(keys.patientLink(patientId, mspId));
  const existing = link ? await loadRelationship(state, link.r) : null;
  return mayOpenRelationship(existing) ? null : existing;
}
