import { labBounds, type CohortPage, type ResearchQuery, type TemplateId } from '@medrec/chaincode/domain';
import { answerHash, type ReleasedAnswer, type ResearchAnswer } from '@medrec/client/protocol';
import type { MedrecClient } from '../../contract/client.js';
import { Research } from '../../contract/medrec.js';
import { endorsedBy } from '../../contract/request.js';
import { ChaincodeError, TransactionInvalidError, type Signer } from '../../ports/ledger.js';
import type { ResearchStore } from '../../ports/research.js';
import type { Verified } from '../gatekeeper/signed-request.js';
import { forbidden, notFound, Problem } from '../problem.js';
import type { ResearchCatalogue } from './catalogue.js';
import type { InclusionClaims, ResearchClaims } from './claims.js';
import { cohortRows, type CohortRow, type Member } from './cohort.js';
import { disclose, exactCells, type DisclosureSpec, type ExactCell } from './disclosure.js';
import type { Inclusion, InclusionStore } from './inclusions.js';
import { cryptoNoise, type NoiseSource } from './noise.js';

/** What computing an answer needs of a verified research request (not the certificate that signed it). */
type ResearchAsk = Omit<Verified<ResearchClaims>, 'certificate'>;

export interface ResearchGatekeeperDeps {
  client: MedrecClient;
  /** This hospital's records-service identity: reads cohorts and records releases on the ledger. */
  service: Signer;
  mspId: string;
  /** The aggregate catalogue and the EHR's research queries; null when this hospital answers none. */
  catalogue: ResearchCatalogue | null;
  store: ResearchStore | null;
  links: { get(participantId: string): string | undefined };
  inclusions: InclusionStore;
}

/** How often an answer is recomputed when its release loses a commit race (another release, an opt-in). */
const RELEASE_ATTEMPTS = 4;

/** The chaincode's refusals of a collection, as the gatekeeper answers them. */
const REFUSALS: Record<string, [number, string]> = {
  FORBIDDEN: [403, 'QUERY_FORBIDDEN'],
  NOT_FOUND: [404, 'QUERY_NOT_FOUND'],
  CONFLICT: [409, 'ALREADY_RELEASED'],
  EXPIRED: [410, 'QUERY_CLOSED'],
  LIMIT_EXCEEDED: [403, 'BUDGET_EXHAUSTED'],
};

function refusal(err: unknown): unknown {
  if (!(err instanceof ChaincodeError) || !REFUSALS[err.code]) return err;
  const [status, code] = REFUSALS[err.code]!;
  return new Problem(status, code, err.message);
}

/**
 * The gatekeeper's research side (docs/research.md). A researcher's (or steward's) verified request
 * is answered only over the patients whose consent covers the query at answer time, as read from the
 * ledger's committed state; the answer passes disclosure control here, at the hospital, and is
 * released only once the ledger has recorded its release (hash, epsilon, cells — no cohort, no value)
 * and charged the requester's budget. Which patients each answer included stays in gateway.db, for
 * each patient to ask about.
 */
export class ResearchGatekeeper {
  /** The randomness of the noise: the CSPRNG. Tests may set a seeded source; the product never does. */
  noise: NoiseSource = cryptoNoise();

  constructor(private readonly deps: ResearchGatekeeperDeps) {}

  /** The templates this hospital's catalogue answers (none without one). */
  templates(): TemplateId[] {
    return this.deps.catalogue?.templates() ?? [];
  }

  async answer(req: Verified<ResearchClaims>): Promise<ReleasedAnswer> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.answerOnce(req);
      } catch (err) {
        if (err instanceof TransactionInvalidError && attempt < RELEASE_ATTEMPTS) continue;
        throw refusal(err);
      }
    }
  }

  /** The exact aggregate an answer would be computed from, before noise: for tests and audits in-process, never served. */
  async exact(req: ResearchAsk): Promise<{ cells: ExactCell[]; total: ExactCell }> {
    const { query, rows } = await this.rows(req);
    return exactCells(rows, this.spec(query));
  }

  /** The research answers that included the requester, when it is this relationship's patient. */
  async inclusionsFor(req: Verified<InclusionClaims>): Promise<Inclusion[]> {
    const view = await this.deps.client.evaluate(this.deps.service, Research.consentOf(req.claims.rel, req.identityId));
    if (view.providerMspId !== this.deps.mspId) throw new Problem(421, 'WRONG_GATEKEEPER', "this relationship's records are kept by another hospital");
    if (!view.requesterIsPatient) throw forbidden('NOT_THE_PATIENT', "only the relationship's patient may ask which answers included them");
    return this.deps.inclusions.of(view.patientId);
  }

  private async answerOnce(req: Verified<ResearchClaims>): Promise<ReleasedAnswer> {
    const { client, service, mspId, inclusions } = this.deps;
    const { query, rows } = await this.rows(req);
    const disclosure = disclose(rows, this.spec(query), this.noise);
    const answer: ResearchAnswer = {
      queryId: query.queryId,
      kind: query.kind,
      mspId,
      template: query.template,
      code: query.code,
      unit: query.code ? (labBounds(query.code)?.unit ?? null) : null,
      measure: this.spec(query).measure,
      groupBy: [...query.groupBy],
      cells: disclosure.cells,
      total: disclosure.total,
      noise: disclosure.noise,
      computedAt: new Date().toISOString(),
    };
    const hash = answerHash(answer);
    const cells = [...disclosure.cells, ...(disclosure.total ? [disclosure.total] : [])].filter((c) => !c.suppressed).length;
    const recorded = await client.submit(service, endorsedBy(Research.recordRelease(query.queryId, req.identityId, { answerHash: hash, cells }), mspId));
    inclusions.record(query.queryId, query.kind, rows.map((r) => r.participantId), recorded.value.releasedAt);
    return { answer, answerHash: hash, release: { txId: recorded.txId, blockNumber: recorded.blockNumber } };
  }

  private spec(query: ResearchQuery): DisclosureSpec {
    const mean = query.template === 'lab-mean';
    return {
      measure: mean ? 'mean' : 'count',
      groupBy: query.groupBy,
      ...(query.criteria.sex ? { sexes: query.criteria.sex } : {}),
      ...(query.criteria.ageBands ? { ageBands: query.criteria.ageBands } : {}),
      epsilon: query.epsilon,
      ...(mean ? { bounds: labBounds(query.code!)! } : {}),
    };
  }

  /** The query and its consenting cohort's rows, read at answer time (every page of the ledger's cohort). */
  private async rows(req: ResearchAsk): Promise<{ query: ResearchQuery; rows: CohortRow[] }> {
    const { client, service, catalogue, store, links } = this.deps;
    const members: Member[] = [];
    let page: CohortPage | undefined;
    let bookmark = '';
    try {
      do {
        page = await client.evaluate(service, Research.prepareRelease(req.claims.query, req.identityId, bookmark));
        if (!catalogue || !store || !catalogue.templates().includes(page.query.template)) {
          throw notFound('TEMPLATE_NOT_AVAILABLE', `this hospital's aggregate catalogue has no ${page.query.template}`);
        }
        if (page.query.criteria.conditions?.length && !catalogue.hasConditions()) {
          throw notFound('CRITERION_NOT_AVAILABLE', "this hospital's aggregate catalogue cannot select by condition");
        }
        for (const participantId of page.patients) {
          const key = links.get(participantId);
          if (key !== undefined) members.push({ key, participantId });
        }
        bookmark = page.bookmark;
      } while (bookmark !== '');
    } catch (err) {
      throw refusal(err);
    }
    const rows = await cohortRows(store!, catalogue!, page.query, members);
    // A patient of unknown age has no age band: left out where the answer is split by age.
    const counted = page.query.groupBy.includes('ageBand') ? rows.filter((r) => r.ageBand !== undefined) : rows;
    return { query: page.query, rows: counted };
  }
}
