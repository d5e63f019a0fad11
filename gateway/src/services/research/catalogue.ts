import {
  RESEARCH_CONDITIONS,
  RESEARCH_LABS,
  RESEARCH_MEDICATIONS,
  RESEARCH_TEMPLATES,
  TEMPLATE_IDS,
  type Sex,
  type TemplateId,
} from '@medrec/chaincode/domain';
import { MappingError, sqlProblems, type Dialect, type HospitalMapping } from '../records/mapping.js';
import type { ResearchMapping } from './catalogue-schema.js';

/**
 * The research queries a hospital's catalogue defines, their named parameters and the exact columns
 * each must return. Values are bound as parameters (the cohort as a JSON array of local patient keys),
 * and a row with any other column, or a value of another type, is refused at answer time: a query
 * cannot hand a name, a note or an identifier to the answer.
 */
export const RESEARCH_QUERIES = {
  demographics: { params: ['cohort'], columns: ['patient_key', 'sex', 'birth_date'] },
  conditions: { params: ['cohort', 'codes', 'to'], columns: ['patient_key'] },
  'lab-mean': { params: ['cohort', 'codes', 'from', 'to'], columns: ['patient_key', 'value'] },
  'medication-count': { params: ['cohort', 'codes', 'from', 'to'], columns: ['patient_key'] },
} as const satisfies Record<string, { params: readonly string[]; columns: readonly string[] }>;

export type ResearchQueryName = keyof typeof RESEARCH_QUERIES;

/** The name an EHR research store holds a query under (kept apart from the category queries). */
export const storeName = (query: ResearchQueryName) => `research:${query}`;

const VOCABULARY = {
  lab: Object.keys(RESEARCH_LABS),
  medication: [...RESEARCH_MEDICATIONS],
  condition: [...RESEARCH_CONDITIONS],
} as const;

/** A hospital's aggregate catalogue, checked: what it answers, with which SQL, under which local codes. */
export class ResearchCatalogue {
  private constructor(private readonly research: ResearchMapping) {}

  /** The catalogue of a mapping, or null when the hospital answers no research queries. Problems stop startup. */
  static of(mapping: HospitalMapping, source = mapping.hospital): ResearchCatalogue | null {
    if (!mapping.research) return null;
    const problems = catalogueProblems(mapping.research);
    if (problems.length > 0) throw new MappingError(source, problems);
    return new ResearchCatalogue(mapping.research);
  }

  /** The templates this hospital answers (published on the ledger for researchers to see). */
  templates(): TemplateId[] {
    return TEMPLATE_IDS.filter((t) => this.research.templates[t] !== undefined);
  }

  hasConditions(): boolean {
    return this.research.conditions !== undefined;
  }

  /** Every research query's SQL for one dialect, by store name. */
  queries(dialect: Dialect): Record<string, string> {
    const out: Record<string, string> = { [storeName('demographics')]: this.research.demographics.sql[dialect] };
    if (this.research.conditions) out[storeName('conditions')] = this.research.conditions.sql[dialect];
    for (const t of TEMPLATE_IDS) {
      const template = this.research.templates[t];
      if (template && 'sql' in template) out[storeName(t as ResearchQueryName)] = template.sql[dialect];
    }
    return out;
  }

  /** This hospital's codes for a consortium code (the same code when the mapping names none). */
  localCodes(of: 'conditions' | 'lab-mean' | 'medication-count', code: string): string[] {
    const section = of === 'conditions' ? this.research.conditions : this.research.templates[of];
    return section?.codes?.[code] ?? [code];
  }

  /** FHIR gender of a local sex code; a code the mapping does not know is `unknown`, never guessed. */
  sexOf(local: unknown): Sex {
    return typeof local === 'string' && Object.hasOwn(this.research.demographics.sex, local) ? this.research.demographics.sex[local]! : 'unknown';
  }
}

function catalogueProblems(research: ResearchMapping): string[] {
  const problems: string[] = [];
  const check = (path: string, name: ResearchQueryName, sql: { sqlite: string; mssql: string }) => {
    for (const dialect of ['sqlite', 'mssql'] as const) {
      for (const p of sqlProblems(sql[dialect], RESEARCH_QUERIES[name].params)) problems.push(`/research/${path}/sql/${dialect}: ${p}`);
    }
  };
  const codes = (path: string, map: Record<string, string[]> | undefined, kind: keyof typeof VOCABULARY) => {
    for (const code of Object.keys(map ?? {})) {
      if (!(VOCABULARY[kind] as readonly string[]).includes(code)) problems.push(`/research/${path}/codes: ${code} is not in the research vocabulary`);
    }
  };
  check('demographics', 'demographics', research.demographics.sql);
  if (research.conditions) {
    check('conditions', 'conditions', research.conditions.sql);
    codes('conditions', research.conditions.codes, 'condition');
  }
  for (const t of ['lab-mean', 'medication-count'] as const) {
    const template = research.templates[t];
    if (!template) continue;
    check(`templates/${t}`, t, template.sql);
    codes(`templates/${t}`, template.codes, RESEARCH_TEMPLATES[t].code);
  }
  return problems;
}
