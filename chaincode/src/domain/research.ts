import type { Category } from './categories';
import { forbidden, MedrecError } from './errors';
import { sha256hex } from './ids';
import type {
  ConsentTerms,
  QueryKind,
  QuerySpec,
  ResearchBudget,
  ResearchConsent,
  ResearchQuery,
  Steward,
} from './research-types';
import { RESEARCH_LIMITS, RESEARCH_TEMPLATES } from './research-vocabulary';
import { patientMayRead } from './status';
import type { IdentityRecord, RelationshipRecord } from './types';

/**
 * The research rules, pure: which records a query reads, whose consent covers it, who collects it,
 * what it costs, which steward a bounty goes to. The Research contract only loads and stores.
 */

/** Ids come from the transaction, like every other id on the ledger. */
export function queryIdFor(kind: QueryKind, txId: string): string {
  return sha256hex(`${kind}:${txId}`);
}

/** The record categories answering a query reads: demographics, the template's own, conditions when filtered by them. */
export function queryCategories(q: Pick<QuerySpec, 'template' | 'criteria'>): Category[] {
  const categories = new Set<Category>(['Patient', RESEARCH_TEMPLATES[q.template].category]);
  if (q.criteria.conditions?.length) categories.add('Condition');
  return [...categories];
}

/** The day ages are counted at: the period's end for dated templates, else the day the query was made. */
export function ageReference(q: Pick<ResearchQuery, 'criteria' | 'createdAt'>): string {
  return q.criteria.period?.to ?? q.createdAt.slice(0, 10);
}

/**
 * Whether a patient's consent on a relationship lets this query use that relationship's records
 * now: the consent is active and unexpired, names this study or none (a named-study consent never
 * covers a bounty), covers every category the query reads, and the patient has not rejected or
 * deleted the relationship.
 */
export function consentCovers(consent: ResearchConsent, rel: RelationshipRecord, query: ResearchQuery, now: string): boolean {
  if (consent.status !== 'active' || !patientMayRead(rel.status)) return false;
  if (consent.validUntil !== null && now >= consent.validUntil) return false;
  if (consent.studyId !== null && (query.kind !== 'study' || consent.studyId !== query.queryId)) return false;
  return queryCategories(query).every((c) => consent.categories.includes(c));
}

/** Why this requester may not collect this query at this hospital now (a refusal to throw), or null when it may. */
export function collectRefusal(query: ResearchQuery, requester: IdentityRecord, mspId: string, now: string): MedrecError | null {
  if (requester.status !== 'active') return forbidden('the requesting identity has been superseded');
  if (requester.participantId !== query.ownerId) {
    return forbidden(query.kind === 'bounty' ? 'only the steward the bounty was assigned to may collect it' : "only the study's researcher may collect its answers");
  }
  if (query.providerMspId !== null && query.providerMspId !== mspId) return forbidden('this bounty is answered by another hospital');
  if (now >= query.validUntil) return new MedrecError('EXPIRED', 'the query is closed');
  return null;
}

/** Epsilon in thousandths: budgets are summed exactly. */
export const milli = (epsilon: number): number => Math.round(epsilon * 1000);

export function emptyBudget(participantId: string): ResearchBudget {
  return { participantId, spent: 0, limit: RESEARCH_LIMITS.budget, releases: 0 };
}

/** The budget after one more release of `epsilon`; LIMIT_EXCEEDED when it would pass the limit. */
export function charge(budget: ResearchBudget, epsilon: number): ResearchBudget {
  const spent = milli(budget.spent) + milli(epsilon);
  if (spent > milli(budget.limit)) {
    throw new MedrecError('LIMIT_EXCEEDED', `the privacy budget (${budget.limit}) would be exceeded: ${budget.spent} spent`);
  }
  return { ...budget, spent: spent / 1000, releases: budget.releases + 1 };
}

/**
 * The steward a bounty goes to, from its transaction id (every endorsing peer derives the same one):
 * SHA-256(txId) modulo the stewards, in MSP order. A provider's own organisation's steward is passed
 * over while another exists — a bounty rewards someone else for running the network.
 */
export function assignSteward(txId: string, stewards: readonly Steward[], providerMspId: string): Steward | undefined {
  const others = stewards.filter((s) => s.mspId !== providerMspId);
  const candidates = [...(others.length > 0 ? others : stewards)].sort((a, b) => (a.mspId < b.mspId ? -1 : a.mspId > b.mspId ? 1 : 0));
  if (candidates.length === 0) return undefined;
  const index = Number(BigInt(`0x${sha256hex(txId)}`) % BigInt(candidates.length));
  return candidates[index];
}

/** A consent as stored under rcon[msp, rel]: the key says which relationship and hospital. */
export interface StoredConsent {
  /** patientId */ p: string;
  /** categories */ c: Category[];
  /** studyId */ s?: string;
  /** validUntil */ u?: string;
  /** withdrawn */ w?: true;
  /** updatedAt */ a: string;
}

export function storeConsent(patientId: string, terms: ConsentTerms | null, now: string, previous?: StoredConsent): StoredConsent {
  if (terms === null) return { ...(previous ?? { p: patientId, c: [] }), w: true, a: now };
  return {
    p: patientId,
    c: terms.categories,
    ...(terms.studyId ? { s: terms.studyId } : {}),
    ...(terms.validUntil ? { u: terms.validUntil } : {}),
    a: now,
  };
}

export function loadConsent(relationshipId: string, providerMspId: string, s: StoredConsent): ResearchConsent {
  return {
    relationshipId,
    patientId: s.p,
    providerMspId,
    categories: s.c,
    studyId: s.s ?? null,
    validUntil: s.u ?? null,
    status: s.w ? 'withdrawn' : 'active',
    updatedAt: s.a,
  };
}
