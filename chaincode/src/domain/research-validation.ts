import { isCategory, type Category } from './categories';
import { invalid } from './errors';
import type { ConsentTerms, Criteria, Period, QuerySpec, ReleaseRequest, StudyRequest } from './research-types';
import {
  AGE_BANDS,
  DIMENSIONS,
  RESEARCH_CONDITIONS,
  RESEARCH_LIMITS,
  RESEARCH_MEDICATIONS,
  RESEARCH_TEMPLATES,
  SEXES,
  isTemplateId,
  labBounds,
  type TemplateId,
} from './research-vocabulary';
import { LIMITS, parseJson, requireArray, requireHex64, requireIsoDate, requireObject } from './validation';

const QUERY_KEYS = ['template', 'code', 'criteria', 'groupBy', 'epsilon'] as const;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;
const JSON_BYTES = 8_192;

/** A subset of a closed list, each value once. */
function subsetOf<T extends string>(value: unknown, allowed: readonly T[], name: string, max = allowed.length): T[] {
  const list = requireArray(value, name, 1, max);
  const seen = new Set<T>();
  for (const v of list) {
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw invalid(`${name} holds a value outside the research vocabulary`);
    if (seen.has(v as T)) throw invalid(`${name} names a value twice`);
    seen.add(v as T);
  }
  return [...seen];
}

/** A calendar day that exists, YYYY-MM-DD. */
function requireDay(value: unknown, name: string): string {
  if (typeof value !== 'string' || !DAY.test(value)) throw invalid(`${name} must be a date YYYY-MM-DD`);
  const ms = Date.parse(`${value}T00:00:00.000Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value) throw invalid(`${name} is not a calendar date`);
  if (value < '1900-01-01') throw invalid(`${name} is before 1900`);
  return value;
}

function requirePeriod(value: unknown): Period {
  const obj = requireObject(value, 'criteria.period', ['from', 'to']);
  const from = requireDay(obj.from, 'criteria.period.from');
  const to = requireDay(obj.to, 'criteria.period.to');
  if (from >= to) throw invalid('criteria.period.from must be before criteria.period.to');
  return { from, to };
}

function requireCriteria(value: unknown, template: TemplateId): Criteria {
  const obj = requireObject(value, 'criteria', ['ageBands', 'sex', 'conditions', 'period']);
  const criteria: Criteria = {};
  if (obj.ageBands !== undefined) criteria.ageBands = subsetOf(obj.ageBands, AGE_BANDS, 'criteria.ageBands');
  if (obj.sex !== undefined) criteria.sex = subsetOf(obj.sex, SEXES, 'criteria.sex');
  if (obj.conditions !== undefined) {
    criteria.conditions = subsetOf(obj.conditions, RESEARCH_CONDITIONS, 'criteria.conditions', RESEARCH_LIMITS.conditionsPerQuery);
  }
  const needsPeriod = RESEARCH_TEMPLATES[template].period;
  if (obj.period !== undefined) {
    if (!needsPeriod) throw invalid(`${template} takes no period`);
    criteria.period = requirePeriod(obj.period);
  } else if (needsPeriod) {
    throw invalid(`${template} needs criteria.period`);
  }
  return criteria;
}

function requireCode(value: unknown, template: TemplateId): string | null {
  const kind = RESEARCH_TEMPLATES[template].code;
  if (kind === null) {
    if (value !== undefined && value !== null) throw invalid(`${template} takes no code`);
    return null;
  }
  const known = kind === 'lab' ? labBounds(String(value)) !== undefined : (RESEARCH_MEDICATIONS as readonly unknown[]).includes(value);
  if (typeof value !== 'string' || !known) throw invalid(`code must be a ${kind === 'lab' ? 'LOINC' : 'RxNorm'} code of the research vocabulary`);
  return value;
}

/** Epsilon in [epsilonMin, epsilonMax] with at most three decimals (budgets are kept in thousandths). */
export function requireEpsilon(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid('epsilon must be a number');
  const milli = Math.round(value * 1000);
  if (Math.abs(value * 1000 - milli) > 1e-6) throw invalid('epsilon may have at most three decimals');
  if (value < RESEARCH_LIMITS.epsilonMin || value > RESEARCH_LIMITS.epsilonMax) {
    throw invalid(`epsilon must lie in [${RESEARCH_LIMITS.epsilonMin}, ${RESEARCH_LIMITS.epsilonMax}]`);
  }
  return milli / 1000;
}

/** The part every study and bounty shares: a template, its code, criteria, grouping and epsilon. */
export function requireQuerySpec(obj: Record<string, unknown>): QuerySpec {
  if (!isTemplateId(obj.template)) throw invalid('template must be a template of the aggregate catalogue');
  const template = obj.template;
  const groupBy = obj.groupBy === undefined ? [] : requireArray(obj.groupBy, 'groupBy', 0, DIMENSIONS.length);
  return {
    template,
    code: requireCode(obj.code, template),
    criteria: requireCriteria(obj.criteria ?? {}, template),
    groupBy: groupBy.length === 0 ? [] : subsetOf(groupBy, DIMENSIONS, 'groupBy'),
    epsilon: requireEpsilon(obj.epsilon),
  };
}

export function parseStudyJson(text: unknown, now: string): StudyRequest {
  const obj = requireObject(parseJson(text, 'studyJson', JSON_BYTES), 'studyJson', [...QUERY_KEYS, 'validUntil', 'protocolHash']);
  const spec = requireQuerySpec(obj);
  const validUntil = requireIsoDate(obj.validUntil, 'validUntil');
  if (validUntil <= now) throw invalid('validUntil must be later than the transaction time');
  if (Date.parse(validUntil) - Date.parse(now) > RESEARCH_LIMITS.studyMaxDays * DAY_MS) {
    throw invalid(`a study may stay open at most ${RESEARCH_LIMITS.studyMaxDays} days`);
  }
  const protocolHash = obj.protocolHash === undefined || obj.protocolHash === null ? null : requireHex64(obj.protocolHash, 'protocolHash');
  return { ...spec, validUntil, protocolHash };
}

export function parseBountyJson(text: unknown): QuerySpec {
  return requireQuerySpec(requireObject(parseJson(text, 'bountyJson', JSON_BYTES), 'bountyJson', [...QUERY_KEYS]));
}

export function requireConsentTerms(value: unknown, now: string): ConsentTerms {
  const obj = requireObject(value, 'consent', ['categories', 'studyId', 'validUntil']);
  const list = requireArray(obj.categories, 'consent.categories', 1, 7);
  const categories = new Set<Category>();
  for (const c of list) {
    if (!isCategory(c)) throw invalid('consent.categories must be FHIR record categories');
    if (categories.has(c)) throw invalid('consent.categories names a category twice');
    categories.add(c);
  }
  const studyId = obj.studyId === undefined || obj.studyId === null ? null : requireHex64(obj.studyId, 'consent.studyId');
  let validUntil: string | null = null;
  if (obj.validUntil !== undefined && obj.validUntil !== null) {
    validUntil = requireIsoDate(obj.validUntil, 'consent.validUntil');
    if (validUntil <= now) throw invalid('consent.validUntil must be later than the transaction time');
    if (Date.parse(validUntil) - Date.parse(now) > RESEARCH_LIMITS.consentMaxDays * DAY_MS) {
      throw invalid(`a consent may run at most ${RESEARCH_LIMITS.consentMaxDays} days`);
    }
  }
  return { categories: [...categories], studyId, validUntil };
}

export function parseConsentJson(text: unknown, now: string): ConsentTerms {
  return requireConsentTerms(parseJson(text, 'consentJson', JSON_BYTES), now);
}

export interface ConsentItem {
  relationshipId: string;
  /** null withdraws */
  consent: ConsentTerms | null;
}

/** One patient's consents over several of their relationships (≤ 500), each named once. */
export function parseConsentBatch(text: unknown, now: string): ConsentItem[] {
  const list = requireArray(parseJson(text, 'itemsJson', LIMITS.batchJsonBytes), 'itemsJson', 1, LIMITS.batchItems, 'LIMIT_EXCEEDED');
  const seen = new Set<string>();
  return list.map((raw, index) => {
    const item = requireObject(raw, 'item', ['relationshipId', 'consent']);
    const relationshipId = requireHex64(item.relationshipId, 'relationshipId');
    if (seen.has(relationshipId)) throw invalid(`item ${index}: relationshipId appears twice`);
    seen.add(relationshipId);
    return { relationshipId, consent: item.consent === null ? null : requireConsentTerms(item.consent, now) };
  });
}

export function parseReleaseJson(text: unknown): ReleaseRequest {
  const obj = requireObject(parseJson(text, 'releaseJson', 1024), 'releaseJson', ['answerHash', 'cells']);
  const cells = obj.cells;
  if (!Number.isSafeInteger(cells) || (cells as number) < 0 || (cells as number) > 64) throw invalid('cells must be an integer 0..64');
  return { answerHash: requireHex64(obj.answerHash, 'answerHash'), cells: cells as number };
}

export function parseTemplatesJson(text: unknown): TemplateId[] {
  const list = requireArray(parseJson(text, 'templatesJson', 1024), 'templatesJson', 0, 32);
  const seen = new Set<TemplateId>();
  for (const t of list) {
    if (!isTemplateId(t)) throw invalid('templatesJson holds an unknown template');
    if (seen.has(t)) throw invalid('templatesJson names a template twice');
    seen.add(t);
  }
  return [...seen];
}
