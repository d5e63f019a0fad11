import { conflict, notFound } from '../domain/errors';
import { keys, prefixes } from '../domain/keys';
import { assignSteward, charge, collectRefusal, emptyBudget, loadConsent, queryIdFor, type StoredConsent } from '../domain/research';
import type { ConsentTerms, ResearchBudget, ResearchConsent, ResearchQuery, Steward } from '../domain/research-types';
import { RESEARCH_LIMITS } from '../domain/research-vocabulary';
import { parseBountyJson } from '../domain/research-validation';
import type { IdentityRecord, RelationshipRecord } from '../domain/types';
import { requireHex64 } from '../domain/validation';
import type { Caller } from './caller';
import type { State } from './state';

/** Loading and storing research records: the rules themselves are in domain/research.ts. */

type StoredQuery = Omit<ResearchQuery, 'queryId'>;

export async function loadQuery(state: State, queryId: unknown): Promise<ResearchQuery> {
  const id = requireHex64(queryId, 'queryId');
  const stored = await state.get<StoredQuery>(keys.researchQuery(id));
  if (!stored) throw notFound('no such study or bounty');
  return { queryId: id, ...stored };
}

export async function putQuery(state: State, query: ResearchQuery): Promise<void> {
  const { queryId, ...stored } = query;
  await state.put(keys.researchQuery(queryId), stored);
}

export async function getConsent(state: State, rel: RelationshipRecord): Promise<ResearchConsent | null> {
  const stored = await state.get<StoredConsent>(keys.researchConsent(rel.providerMspId, rel.relationshipId));
  return stored && loadConsent(rel.relationshipId, rel.providerMspId, stored);
}

export async function stewardsOf(state: State): Promise<Steward[]> {
  const entries = await state.entries<Omit<Steward, 'mspId'>>(prefixes.stewards());
  return entries.map(({ attributes: [mspId], value }) => ({ mspId: mspId!, ...value }));
}

export async function budgetOf(state: State, participantId: string): Promise<ResearchBudget> {
  return (await state.get<ResearchBudget>(keys.budget(participantId))) ?? emptyBudget(participantId);
}

/** A provider's bounty, checked and assigned to a steward, before anything is written. */
export async function planBounty(state: State, caller: Caller, bountyJson: unknown): Promise<ResearchQuery> {
  const spec = parseBountyJson(bountyJson);
  const steward = assignSteward(state.txId, await stewardsOf(state), caller.mspId);
  if (!steward) throw conflict('no research steward is registered to receive a bounty');
  return {
    ...spec,
    queryId: queryIdFor('bounty', state.txId),
    kind: 'bounty',
    ownerId: steward.participantId,
    ownerMspId: steward.mspId,
    providerMspId: caller.mspId,
    protocolHash: null,
    createdAt: state.now,
    validUntil: new Date(Date.parse(state.now) + RESEARCH_LIMITS.studyMaxDays * 86_400_000).toISOString(),
  };
}

export async function writeBounty(state: State, bounty: ResearchQuery): Promise<void> {
  await putQuery(state, bounty);
  await state.endorseBy(keys.researchQuery(bounty.queryId), bounty.providerMspId!);
  await state.put(keys.stewardQuery(bounty.ownerId, bounty.queryId), {});
}

/**
 * Everything that must hold for the calling hospital to answer `queryId` for this requester, read
 * from committed state: the requester owns the query, it is open and (for a bounty) this hospital's,
 * this hospital has not released an answer to it, and the owner's budget can pay for one more.
 */
export async function releasable(state: State, caller: Caller, queryId: unknown, requesterIdentityId: unknown) {
  const query = await loadQuery(state, queryId);
  const requester = await state.get<IdentityRecord>(keys.identity(requireHex64(requesterIdentityId, 'requesterIdentityId')));
  if (!requester) throw notFound('the requester is not registered');
  const refusal = collectRefusal(query, requester, caller.mspId, state.now);
  if (refusal) throw refusal;
  if (await state.get(keys.release(query.queryId, caller.mspId))) {
    throw conflict('this hospital has already released its answer to this query');
  }
  const budget = charge(await budgetOf(state, query.ownerId), query.epsilon);
  return { query, budget };
}

/** Checks a patient's consent change on one relationship (before any write). */
export function requireConsentChange(rel: RelationshipRecord, current: ResearchConsent | null, terms: ConsentTerms | null): void {
  if (terms === null) {
    if (current?.status !== 'active') throw conflict('there is no active research consent on this relationship');
    return;
  }
  if (rel.status === 'rejected' || rel.status === 'deleted') throw conflict(`cannot consent on a relationship that is ${rel.status}`);
}
