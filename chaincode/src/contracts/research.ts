import { Context, Contract, Info, Param, Returns, Transaction } from 'fabric-contract-api';
import { mayAskAccess } from '../domain/authorisation';
import { conflict, forbidden, invalid, notFound } from '../domain/errors';
import { keys, prefixKey, prefixes } from '../domain/keys';
import { charge, consentCovers, loadConsent, queryIdFor, storeConsent, type StoredConsent } from '../domain/research';
import type { ConsentView, CohortPage, GatekeeperEntry, Release, ResearchConsent, ResearchQuery } from '../domain/research-types';
import { RESEARCH_LIMITS } from '../domain/research-vocabulary';
import {
  parseConsentBatch,
  parseConsentJson,
  parseReleaseJson,
  parseStudyJson,
  parseTemplatesJson,
  type ConsentItem,
} from '../domain/research-validation';
import { rolesFor } from '../domain/transactions';
import type { IdentityRecord, Notification, ParticipantRecord, RelationshipRecord } from '../domain/types';
import { requireEndpoint, requireHex64, requireString } from '../domain/validation';
import { registeredCaller, type Caller } from './caller';
import { loadRelationship, requirePatient, summariesOf } from './relationships';
import {
  budgetOf,
  getConsent,
  loadQuery,
  putQuery,
  releasable,
  requireConsentChange,
  stewardsOf,
} from './research-state';
import { State } from './state';

type StoredRelease = Omit<Release, 'queryId' | 'mspId'>;

@Info({ title: 'Research', description: "Patients' research consents, studies and bounty queries, stewards, and the release of aggregate answers" })
export class ResearchContract extends Contract {
  constructor() {
    super('Research');
  }

  @Transaction()
  @Returns('string')
  @Param('relationshipId', 'string', 'the relationship whose records may be used for research')
  @Param('consentJson', 'string', 'JSON {categories, studyId?, validUntil?}')
  async consent(ctx: Context, relationshipId: string, consentJson: string): Promise<string> {
    const state = new State(ctx);
    const caller = await registeredCaller(ctx, state, rolesFor('Research.consent'));
    const items = [{ relationshipId: requireHex64(relationshipId, 'relationshipId'), consent: parseConsentJson(consentJson, state.now) }];
    const [written] = await changeConsents(state, caller, items);
    return JSON.stringify(written);
  }

  @Transaction()
  @Returns('string')
  @Param('relationshipId', 'string', 'the relationship whose research consent ends now')
  async withdraw(ctx: Context, relationshipId: string): Promise<string> {
    const state = new State(ctx);
    const caller = await registeredCaller(ctx, state, rolesFor('Research.withdraw'));
    const [written] = await changeConsents(state, caller, [{ relationshipId: requireHex64(relationshipId, 'relationshipId'), consent: null }]);
    return JSON.stringify(written);
  }

  @Transaction()
  @Returns('string')
  @Param('itemsJson', 'string', 'JSON [{relationshipId, consent: {categories, studyId?, validUntil?} | null}], at most 500, all the caller\'s; null withdraws')
  async consentBatch(ctx: Context, itemsJson: string): Promise<string> {
    const state = new State(ctx);
    const caller = await registeredCaller(ctx, state, rolesFor('Research.consentBatch'));
    const written = await changeConsents(state, caller, parseConsentBatch(itemsJson, state.now));
    // Relationship ids only: the result is stored in the block.
    return JSON.stringify(written.map((c) => c.relationshipId));
  }

  @Transaction(false)
  @Returns('string')
  async consents(ctx: Context): Promise<string> {
    const state = new State(ctx);
    const caller = await registeredCaller(ctx, state, rolesFor('Research.consents'));
    const views: ConsentView[] = [];
    for (const entry of await summariesOf(state, caller.participantId)) {
      if (entry.role !== 'patient') continue;
      const rel = await loadRelationship(state, entry.relationshipId);
      views.push({ relationshipId: rel.relationshipId, providerMspId: rel.providerMspId, patientId: rel.patientId, requesterIsPatient: true, consent: await getConsent(state, rel) });
    }
    return JSON.stringify(views);
  }

  @Transaction(false)
  @Returns('string')
  @Param('relationshipId', 'string', 'the relationship')
  @Param('requesterIdentityId', 'string', "the identity (iid) asking a gatekeeper about it")
  async consentOf(ctx: Context, relationshipId: string, requesterIdentityId: string): Promise<string> {
    const state = new State(ctx);
    const caller = await registeredCaller(ctx, state, rolesFor('Research.consentOf'));
    const iid = requireHex64(requesterIdentityId, 'requesterIdentityId');
    const rel = await loadRelationship(state, relationshipId);
    if (!mayAskAccess(caller, rel, iid)) throw forbidden("only the requester, the relationship's gatekeeper or an auditor may ask");
    const requester = await state.get<IdentityRecord>(keys.identity(iid));
    const view: ConsentView = {
      relationshipId: rel.relationshipId,
      providerMspId: rel.providerMspId,
      patientId: rel.patientId,
      requesterIsPatient: requester?.status === 'active' && requester.role === 'patient' && requester.participantId === rel.patientId,
      consent: await getConsent(state, rel),
    };
    return JSON.stringify(view);
  }

  @Transaction()
  @Returns('string')
  @Param('studyJson', 'string', 'JSON {template, code, criteria, groupBy, epsilon, validUntil, protocolHash?}')
  async submitStudy(ctx: Context, studyJson: string): Promise<string> {
    const state = new State(ctx);
    const caller = await registeredCaller(ctx, state, rolesFor('Research.submitStudy'));
    const study = parseStudyJson(studyJson, state.now);
    // A study nobody could answer within the budget is refused now rather than at every hospital.
    charge(await budgetOf(state, caller.participantId), study.epsilon);
    const query: ResearchQuery = {
      ...study,
      queryId: queryIdFor('study', state.txId),
      kind: 'study',
      ownerId: caller.participantId,
      ownerMspId: caller.mspId,
      providerMspId: null,
      createdAt: state.now,
    };
    await putQuery(state, query);
    state.emit('StudySubmitted', [{ participantId: caller.participantId, status: 'study_submitted' }]);
    return JSON.stringify({ queryId: query.queryId });
  }

  @Transaction(false)
  @Returns('string')
  @Param('queryId', 'string', 'a study or bounty id')
  async query(ctx: Context, queryId: string): Promise<string> {
    const state = new State(ctx);
    await registeredCaller(ctx, state, rolesFor('Research.query'));
    return JSON.stringify(await loadQuery(state, queryId));
  }

  @Transaction(false)
  @Returns('string')
  async studies(ctx: Context): Promise<string> {
    const state = new State(ctx);
    await registeredCaller(ctx, state, rolesFor('Research.studies'));
    const entries = await state.entries<Omit<ResearchQuery, 'queryId'>>(prefixes.researchQueries());
    const open = entries
      .map(({ attributes: [queryId], value }): ResearchQuery => ({ queryId: queryId!, ...value }))
      .filter((q) => q.kind === 'study' && state.now < q.validUntil);
    return JSON.stringify(open);
  }

  @Transaction()
  @Returns('string')
  @Param('participantId', 'string', "a researcher of the registrar's own organisation")
  async registerSteward(ctx: Context, participantId: string): Promise<string> {
    const state = new State(ctx);
    const caller = await registeredCaller(ctx, state, rolesFor('Research.registerSteward'));
    const pid = requireHex64(participantId, 'participantId');
    const participant = await state.get<ParticipantRecord>(keys.participant(pid));
    if (!participant) throw notFound('no such participant');
    if (participant.role !== 'researcher') throw invalid('a steward is a researcher');
    if (participant.mspId !== caller.mspId) throw forbidden("a registrar names only its own organisation's steward");
    const key = keys.steward(caller.mspId);
    const previous = await state.get<{ participantId: string }>(key);
    if (previous?.participantId === pid) throw conflict('already this organisation\'s steward');
    const steward = { participantId: pid, registeredAt: state.now };
    await state.put(key, steward);
    if (!previous) await state.endorseBy(key, caller.mspId);
    state.emit('StewardRegistered', [{ participantId: pid, status: 'steward_registered' }]);
    return JSON.stringify({ mspId: caller.mspId, ...steward });
  }

  @Transaction(false)
  @Returns('string')
  async stewards(ctx: Context): Promise<string> {
    const state = new State(ctx);
    await registeredCaller(ctx, state, rolesFor('Research.stewards'));
    return JSON.stringify(await stewardsOf(state));
  }

  @Transaction(false)
  @Returns('string')
  async bounties(ctx: Context): Promise<string> {
    const state = new State(ctx);
    const caller = await registeredCaller(ctx, state, rolesFor('Research.bounties'));
    const out: (ResearchQuery & { collected: boolean })[] = [];
    for (const { attributes } of await state.entries<object>(prefixes.queriesOfSteward(caller.participantId))) {
      const query = await loadQuery(state, attributes[1]);
      out.push({ ...query, collected: (await state.get(keys.release(query.queryId, query.providerMspId!))) !== null });
    }
    return JSON.stringify(out);
  }

  @Transaction()
  @Returns('string')
  @Param('endpoint', 'string', "this hospital's gatekeeper URL")
  @Param('templatesJson', 'string', 'JSON array of the template ids its aggregate catalogue implements')
  async publishGatekeeper(ctx: Context, endpoint: string, templatesJson: string): Promise<string> {
    const state = new State(ctx);
    const caller = await registeredCaller(ctx, state, rolesFor('Research.publishGatekeeper'));
    const entry: GatekeeperEntry = { mspId: caller.mspId, endpoint: requireEndpoint(endpoint), templates: parseTemplatesJson(templatesJson), updatedAt: state.now };
    const key = keys.gatekeeper(caller.mspId);
    const previous = await state.get(key);
    const { mspId: _msp, ...stored } = entry;
    await state.put(key, stored);
    if (!previous) await state.endorseBy(key, caller.mspId);
    state.emit('GatekeeperPublished', [{ participantId: caller.participantId, status: 'gatekeeper_published' }]);
    return JSON.stringify(entry);
  }

  @Transaction(false)
  @Returns('string')
  async gatekeepers(ctx: Context): Promise<string> {
    const state = new State(ctx);
    await registeredCaller(ctx, state, rolesFor('Research.gatekeepers'));
    const entries = await state.entries<Omit<GatekeeperEntry, 'mspId'>>(prefixes.gatekeepers());
    return JSON.stringify(entries.map(({ attributes: [mspId], value }) => ({ mspId: mspId!, ...value })));
  }

  /**
   * The gatekeeper's question at answer time: may this requester collect this query here, and whose
   * consent covers it now — one page of those patients' participant ids, read from committed state
   * (a patient who opted out is gone from the very next answer).
   */
  @Transaction(false)
  @Returns('string')
  @Param('queryId', 'string', 'the study or bounty to answer')
  @Param('requesterIdentityId', 'string', "the collecting requester's identity id (iid)")
  @Param('bookmark', 'string', "'' for the first page, then the previous page's bookmark")
  async prepareRelease(ctx: Context, queryId: string, requesterIdentityId: string, bookmark: string): Promise<string> {
    const state = new State(ctx);
    const caller = await registeredCaller(ctx, state, rolesFor('Research.prepareRelease'));
    const { query } = await releasable(state, caller, queryId, requesterIdentityId);
    const prefix = prefixes.consentsAt(caller.mspId);
    // A bookmark is the next key of this hospital's consents; anything else could page through other records.
    if (bookmark !== '' && !requireString(bookmark, 'bookmark', 512).startsWith(prefixKey(prefix))) {
      throw invalid('bookmark is not one this transaction handed out');
    }
    const { items, next } = await state.page<StoredConsent>(prefix, RESEARCH_LIMITS.cohortPage, bookmark);
    const patients: string[] = [];
    for (const { attributes: [, relId], value } of items) {
      const rel = await loadRelationship(state, relId);
      if (consentCovers(loadConsent(rel.relationshipId, caller.mspId, value), rel, query, state.now)) patients.push(rel.patientId);
    }
    const page: CohortPage = { query, patients, bookmark: next };
    return JSON.stringify(page);
  }

  /**
   * Records one hospital's answer: its hash, the epsilon it cost (charged to the owner's budget,
   * which every hospital reads) and how many cells it released. Never the cohort, never a value.
   * Checked again here, on the state the release commits against: a second release is refused.
   */
  @Transaction()
  @Returns('string')
  @Param('queryId', 'string', 'the study or bounty answered')
  @Param('requesterIdentityId', 'string', "the collecting requester's identity id (iid)")
  @Param('releaseJson', 'string', 'JSON {answerHash, cells}')
  async recordRelease(ctx: Context, queryId: string, requesterIdentityId: string, releaseJson: string): Promise<string> {
    const state = new State(ctx);
    const caller = await registeredCaller(ctx, state, rolesFor('Research.recordRelease'));
    const { answerHash, cells } = parseReleaseJson(releaseJson);
    const { query, budget } = await releasable(state, caller, queryId, requesterIdentityId);
    const release: Release = {
      queryId: query.queryId,
      mspId: caller.mspId,
      requesterId: query.ownerId,
      answerHash,
      epsilon: query.epsilon,
      cells,
      releasedAt: state.now,
      txId: state.txId,
    };
    const key = keys.release(query.queryId, caller.mspId);
    const { queryId: _q, mspId: _m, ...stored } = release;
    await state.put(key, stored satisfies StoredRelease);
    await state.endorseBy(key, caller.mspId);
    await state.put(keys.budget(query.ownerId), budget);
    state.emit('AnswerReleased', [{ participantId: query.ownerId, status: 'answer_released' }]);
    return JSON.stringify(release);
  }

  @Transaction(false)
  @Returns('string')
  @Param('queryId', 'string', 'a study or bounty id')
  async releases(ctx: Context, queryId: string): Promise<string> {
    const state = new State(ctx);
    const caller = await registeredCaller(ctx, state, rolesFor('Research.releases'));
    const query = await loadQuery(state, queryId);
    if (caller.role === 'researcher' && caller.participantId !== query.ownerId) throw forbidden('a researcher reads only the releases of its own queries');
    const entries = await state.entries<StoredRelease>(prefixes.releasesOf(query.queryId));
    return JSON.stringify(entries.map(({ attributes: [, mspId], value }): Release => ({ queryId: query.queryId, mspId: mspId!, ...value })));
  }

  @Transaction(false)
  @Returns('string')
  @Param('participantId', 'string', 'the researcher or steward whose privacy budget is wanted')
  async budget(ctx: Context, participantId: string): Promise<string> {
    const state = new State(ctx);
    const caller = await registeredCaller(ctx, state, rolesFor('Research.budget'));
    const pid = requireHex64(participantId, 'participantId');
    if (caller.role === 'researcher' && caller.participantId !== pid) throw forbidden('a researcher reads only its own budget');
    return JSON.stringify(await budgetOf(state, pid));
  }

  override async unknownTransaction(): Promise<void> {
    throw notFound('Research has no such transaction');
  }
}

/**
 * A patient's consent changes on some of their relationships, all or nothing: every relationship is
 * checked (the caller's, open for an opt-in, a named study that exists) before the first write.
 */
async function changeConsents(state: State, caller: Caller, items: ConsentItem[]): Promise<ResearchConsent[]> {
  const planned: { rel: RelationshipRecord; item: ConsentItem; previous: StoredConsent | null }[] = [];
  for (const item of items) {
    const rel = await loadRelationship(state, item.relationshipId);
    requirePatient(caller, rel);
    const previous = await state.get<StoredConsent>(keys.researchConsent(rel.providerMspId, rel.relationshipId));
    requireConsentChange(rel, previous && loadConsent(rel.relationshipId, rel.providerMspId, previous), item.consent);
    if (item.consent?.studyId) {
      const study = await loadQuery(state, item.consent.studyId);
      if (study.kind !== 'study') throw invalid('studyId names a bounty, not a study');
    }
    planned.push({ rel, item, previous });
  }
  const written: ResearchConsent[] = [];
  const notifications: Notification[] = [];
  for (const { rel, item, previous } of planned) {
    const key = keys.researchConsent(rel.providerMspId, rel.relationshipId);
    const stored = storeConsent(rel.patientId, item.consent, state.now, previous ?? undefined);
    await state.put(key, stored);
    if (!previous) await state.endorseBy(key, rel.providerMspId);
    written.push(loadConsent(rel.relationshipId, rel.providerMspId, stored));
    notifications.push({ participantId: rel.patientId, relationshipId: rel.relationshipId, status: item.consent ? 'research_opted_in' : 'research_opted_out' });
  }
  state.emit(items.every((i) => i.consent === null) ? 'ResearchWithdrawn' : 'ResearchConsented', notifications);
  return written;
}
