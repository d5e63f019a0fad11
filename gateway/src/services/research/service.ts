import { setTimeout as delay } from 'node:timers/promises';
import type { Category, ConsentTerms, QuerySpec, ResearchQuery, StudyRequest, TemplateId } from '@medrec/chaincode/domain';
import { answerHash, combineAnswers, type CombinedAnswer, type ReleasedAnswer } from '@medrec/client/protocol';
import type { MedrecClient, Submitted } from '../../contract/client.js';
import { Relationship, Research, Summary } from '../../contract/medrec.js';
import { endorsedBy } from '../../contract/request.js';
import type { Signer } from '../../ports/ledger.js';
import { badRequest, notFound, Problem } from '../problem.js';
import { hashResources, type RecordService } from '../records/records.js';
import { requestAnswer, requestInclusions } from './client.js';
import type { GatekeeperTransport } from '../gatekeeper/transport.js';
import type { Inclusion } from './inclusions.js';

export interface ResearchServiceDeps {
  mspId: string;
  client: MedrecClient;
  records: Pick<RecordService, 'fetch'>;
  links: { get(participantId: string): string | undefined };
  /** how other hospitals' gatekeepers are reached, and how long to wait (a research answer may take seconds) */
  transport: GatekeeperTransport;
  /** how long a collection waits for this peer to hold the answers' release blocks (default 10 s) */
  catchUpMs?: number;
}

export interface Receipt {
  txId: string;
  blockNumber: string;
}

const receipt = (s: Submitted<unknown>): Receipt => ({ txId: s.txId, blockNumber: s.blockNumber });

/** One hospital's part of a collection: released (and checked against the ledger), refused, or unknown. */
export type HospitalOutcome =
  | ({ mspId: string; gatekeeper: string; outcome: 'released'; verified: boolean } & ReleasedAnswer)
  | { mspId: string; gatekeeper: string; outcome: 'refused' | 'unknown'; problem: { status: number; code: string; detail: string } };

export interface Collection {
  queryId: string;
  hospitals: HospitalOutcome[];
  /** the released answers combined (sums, weighted means, added noise variances); null when none */
  combined: CombinedAnswer | null;
}

export interface InclusionReport {
  relationshipId: string;
  providerMspId: string;
  /** null when that hospital's gatekeeper did not answer (problem says why) */
  inclusions: (Inclusion & { query: ResearchQuery | null })[] | null;
  problem?: { status: number; code: string };
}

/**
 * Research as this hospital's users act on it (docs/research.md): patients opt in and out per
 * relationship (all at once when they name none) and ask every gatekeeper which answers included
 * them; researchers submit studies and collect every hospital's answer; stewards collect bounties;
 * providers attach bounties to pointer updates; registrars name their organisation's steward.
 * Every ledger call is the user's own, signed with their key.
 */
export class ResearchService {
  constructor(private readonly deps: ResearchServiceDeps) {}

  consents(signer: Signer) {
    return this.deps.client.evaluate(signer, Research.consents());
  }

  /** Opt in on the named relationships, or on every open one of the patient's when none are named. */
  async optIn(signer: Signer, relationshipIds: readonly string[] | undefined, terms: ConsentTerms) {
    if (terms.validUntil !== null && Date.parse(terms.validUntil) <= Date.now()) throw badRequest('VALID_UNTIL_PAST', 'validUntil must be in the future');
    const mine = (await this.deps.client.evaluate(signer, Summary.mine())).filter(
      (e) => e.role === 'patient' && e.status !== 'rejected' && e.status !== 'deleted',
    );
    const chosen = relationshipIds ? mine.filter((e) => relationshipIds.includes(e.relationshipId)) : mine;
    if (relationshipIds && chosen.length !== relationshipIds.length) {
      throw notFound('RELATIONSHIP_NOT_FOUND', 'a named relationship is not an open relationship of yours');
    }
    if (chosen.length === 0) throw notFound('NO_RELATIONSHIPS', 'you have no open relationship to consent on');
    return this.changeConsents(signer, chosen.map((e) => ({ relationshipId: e.relationshipId, providerMspId: e.providerMspId, consent: terms })));
  }

  /** Opt out on the named relationships, or on every one with an active consent when none are named. */
  async optOut(signer: Signer, relationshipIds?: readonly string[]) {
    const active = (await this.consents(signer)).filter((v) => v.consent?.status === 'active');
    const chosen = relationshipIds ? active.filter((v) => relationshipIds.includes(v.relationshipId)) : active;
    if (relationshipIds && chosen.length !== relationshipIds.length) {
      throw new Problem(409, 'NO_ACTIVE_CONSENT', 'a named relationship has no active research consent of yours');
    }
    if (chosen.length === 0) return { relationshipIds: [], txId: null, blockNumber: null };
    return this.changeConsents(signer, chosen.map((v) => ({ relationshipId: v.relationshipId, providerMspId: v.providerMspId, consent: null })));
  }

  private async changeConsents(signer: Signer, items: { relationshipId: string; providerMspId: string; consent: ConsentTerms | null }[]) {
    // Each consent key is endorsed by the hospital that keeps that relationship's records.
    const orgs = [...new Set(items.map((i) => i.providerMspId))];
    const request = Research.consentBatch(items.map(({ relationshipId, consent }) => ({ relationshipId, consent })));
    const result = await this.deps.client.submit(signer, endorsedBy(request, ...orgs));
    return { relationshipIds: result.value, ...receipt(result) };
  }

  /** Asks each hospital holding one of the patient's relationships which released answers included them. */
  async inclusions(signer: Signer): Promise<InclusionReport[]> {
    const { client, transport } = this.deps;
    const mine = (await client.evaluate(signer, Summary.mine())).filter((e) => e.role === 'patient');
    const queries = new Map<string, ResearchQuery | null>();
    const describe = async (queryId: string) => {
      if (!queries.has(queryId)) queries.set(queryId, await client.evaluate(signer, Research.query(queryId)).catch(() => null));
      return queries.get(queryId)!;
    };
    return Promise.all(
      mine.map(async (entry): Promise<InclusionReport> => {
        const base = { relationshipId: entry.relationshipId, providerMspId: entry.providerMspId };
        const view = await client.evaluate(signer, Relationship.get(entry.relationshipId));
        try {
          const list = await requestInclusions(signer, view.endpoint, entry.relationshipId, transport);
          return { ...base, inclusions: await Promise.all(list.map(async (i) => ({ ...i, query: await describe(i.queryId) }))) };
        } catch (err) {
          // One hospital's gatekeeper refusing or down does not hide what the others answered.
          if (!(err instanceof Problem)) throw err;
          return { ...base, inclusions: null, problem: { status: err.status, code: err.code } };
        }
      }),
    );
  }

  async submitStudy(signer: Signer, study: StudyRequest) {
    if (Date.parse(study.validUntil) <= Date.now()) throw badRequest('VALID_UNTIL_PAST', 'validUntil must be in the future');
    const result = await this.deps.client.submit(signer, Research.submitStudy(study));
    return { queryId: result.value.queryId, ...receipt(result) };
  }

  /**
   * Collects one hospital's answer from each gatekeeper that answers the query (every hospital whose
   * catalogue has the template, for a study; the provider's, for a bounty), each request signed by
   * the user, each answer checked against its release record on the ledger, and combines them.
   */
  async collect(signer: Signer, queryId: string): Promise<Collection> {
    const { client, transport } = this.deps;
    const query = await client.evaluate(signer, Research.query(queryId));
    const gatekeepers = (await client.evaluate(signer, Research.gatekeepers())).filter(
      (g) => g.templates.includes(query.template) && (query.providerMspId === null || g.mspId === query.providerMspId),
    );
    if (gatekeepers.length === 0) throw notFound('NO_GATEKEEPER', 'no hospital publishes a gatekeeper that answers this query');
    const outcomes = await Promise.all(
      gatekeepers.map(async (g): Promise<HospitalOutcome> => {
        try {
          return { mspId: g.mspId, gatekeeper: g.endpoint, outcome: 'released', verified: false, ...(await requestAnswer(signer, g.endpoint, queryId, transport)) };
        } catch (err) {
          if (!(err instanceof Problem)) throw err;
          // A gatekeeper that did not answer may still have released: the ledger's release records say.
          const outcome = err.status === 502 || err.status === 504 ? 'unknown' : 'refused';
          return { mspId: g.mspId, gatekeeper: g.endpoint, outcome, problem: { status: err.status, code: err.code, detail: err.message } };
        }
      }),
    );
    const released = outcomes.filter((o): o is Extract<HospitalOutcome, { outcome: 'released' }> => o.outcome === 'released');
    if (released.length > 0) {
      await this.heldHere(released.map((o) => o.release.blockNumber));
      const records = await client.evaluate(signer, Research.releases(queryId));
      for (const o of released) {
        const record = records.find((r) => r.mspId === o.mspId);
        // Trusting no gatekeeper's word: the answer must hash to what its hospital recorded on the ledger.
        o.verified = record?.answerHash === o.answerHash && answerHash(o.answer) === o.answerHash && o.answer.mspId === o.mspId;
      }
    }
    const good = released.filter((o) => o.verified).map((o) => o.answer);
    return { queryId, hospitals: outcomes, combined: good.length > 0 ? combineAnswers(good) : null };
  }

  /**
   * Waits, bounded, until this hospital's peer holds the blocks the answers name: each gatekeeper
   * answers once its release committed on its own peer, which on Fabric may be ahead of ours, and an
   * answer checked against a release record we do not have yet would be wrongly unverified. A block
   * number that never arrives (a false one, or a peer that is behind) only leaves that answer unverified.
   */
  private async heldHere(blockNumbers: string[]): Promise<void> {
    const wanted = blockNumbers.filter((b) => /^\d{1,19}$/.test(b)).reduce((max, b) => (BigInt(b) > max ? BigInt(b) : max), -1n);
    const until = Date.now() + (this.deps.catchUpMs ?? 10_000);
    while ((await this.deps.client.ledger.height()) <= wanted && Date.now() < until) await delay(100);
  }

  /** A provider re-hashes one category of a relationship here and attaches a bounty query to that pointer update. */
  async attachBounty(signer: Signer, relationshipId: string, category: Category, bounty: QuerySpec) {
    const { client, links, records, mspId } = this.deps;
    const view = await client.evaluate(signer, Relationship.get(relationshipId));
    const mrn = links.get(view.patientId);
    if (mrn === undefined || view.providerMspId !== mspId) throw notFound('PATIENT_NOT_LINKED', 'this hospital holds no records for that relationship');
    const hash = hashResources(await records.fetch(category, mrn));
    const result = await client.submit(signer, endorsedBy(Relationship.putPointerWithBounty(view.relationshipId, category, hash, bounty), mspId));
    return { ...result.value, ...receipt(result) };
  }

  async registerSteward(signer: Signer, participantId: string) {
    const result = await this.deps.client.submit(signer, endorsedBy(Research.registerSteward(participantId), this.deps.mspId));
    return { ...result.value, ...receipt(result) };
  }

  /** Publishes where this hospital's gatekeeper answers and which templates it implements, when the ledger says otherwise. */
  async publishGatekeeper(service: Signer, endpoint: string, templates: readonly TemplateId[]): Promise<boolean> {
    const { client, mspId } = this.deps;
    const current = (await client.evaluate(service, Research.gatekeepers())).find((g) => g.mspId === mspId);
    if (current && current.endpoint === endpoint && current.templates.join() === templates.join()) return false;
    await client.submit(service, endorsedBy(Research.publishGatekeeper(endpoint, templates), mspId));
    return true;
  }
}
