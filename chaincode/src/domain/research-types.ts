import type { Category } from './categories';
import type { AgeBand, Dimension, Sex, TemplateId } from './research-vocabulary';

/** What a patient allows on one relationship: record categories, optionally one study, until a date. */
export interface ConsentTerms {
  categories: Category[];
  /** null: every study and bounty; else only this study */
  studyId: string | null;
  /** null: until withdrawn */
  validUntil: string | null;
}

/**
 * A research consent, per relationship, so that it links no two of a patient's hospitals (each
 * relationship may have its own pseudonymous patient identity).
 */
export interface ResearchConsent extends ConsentTerms {
  relationshipId: string;
  patientId: string;
  providerMspId: string;
  status: 'active' | 'withdrawn';
  updatedAt: string;
}

export interface Period {
  /** YYYY-MM-DD, inclusive */
  from: string;
  /** YYYY-MM-DD, exclusive */
  to: string;
}

/** Cohort criteria, all from the fixed vocabulary; absent means "no restriction". */
export interface Criteria {
  ageBands?: AgeBand[];
  sex?: Sex[];
  /** SNOMED CT codes: the patient has every one recorded before the period ends */
  conditions?: string[];
  period?: Period;
}

/** What is asked: a template of the aggregate catalogue and its parameters. Never SQL, never text. */
export interface QuerySpec {
  template: TemplateId;
  /** the template's one code (LOINC for lab-mean, RxNorm for medication-count), else null */
  code: string | null;
  criteria: Criteria;
  groupBy: Dimension[];
  /** the privacy loss one hospital's answer costs (docs/research.md) */
  epsilon: number;
}

export interface StudyRequest extends QuerySpec {
  /** answers may be collected until then */
  validUntil: string;
  /** SHA-256 of the study's protocol document, published elsewhere */
  protocolHash: string | null;
}

export type QueryKind = 'study' | 'bounty';

/** A study (submitted by a researcher) or a bounty (attached by a provider, assigned to a steward). */
export interface ResearchQuery extends QuerySpec {
  queryId: string;
  kind: QueryKind;
  /** who may collect answers: the researcher, or the bounty's steward */
  ownerId: string;
  ownerMspId: string;
  /** a bounty is answered by the hospital whose provider attached it; a study by every hospital */
  providerMspId: string | null;
  protocolHash: string | null;
  createdAt: string;
  validUntil: string;
}

/** The ledger's record of one hospital's answer: no cohort, no values. */
export interface Release {
  queryId: string;
  mspId: string;
  requesterId: string;
  /** SHA-256 (hex) of the answer's canonical JSON */
  answerHash: string;
  epsilon: number;
  /** cells released (not suppressed) */
  cells: number;
  releasedAt: string;
  txId: string;
}

export interface ResearchBudget {
  participantId: string;
  /** epsilon spent so far, every hospital's answers counted */
  spent: number;
  limit: number;
  releases: number;
}

export interface Steward {
  mspId: string;
  participantId: string;
  registeredAt: string;
}

/** Where a hospital's gatekeeper answers research requests, and which templates its catalogue implements. */
export interface GatekeeperEntry {
  mspId: string;
  endpoint: string;
  templates: TemplateId[];
  updatedAt: string;
}

/** One page of the patients whose consent covers a query at the calling hospital, read at answer time. */
export interface CohortPage {
  query: ResearchQuery;
  /** participant ids of the consenting patients of this page */
  patients: string[];
  /** empty when this was the last page */
  bookmark: string;
}

export interface ConsentView {
  relationshipId: string;
  providerMspId: string;
  /** the relationship's patient (the pseudonymous identity its consent and inclusions are kept under) */
  patientId: string;
  /** whether the identity asked about is this relationship's (active) patient */
  requesterIsPatient: boolean;
  consent: ResearchConsent | null;
}

export interface ReleaseRequest {
  answerHash: string;
  cells: number;
}
