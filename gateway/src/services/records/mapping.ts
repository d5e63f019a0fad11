import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { CHANGE_SINCE_PARAM, PATIENT_KEY_PARAM } from '../../ports/ehr.js';
import { CATEGORIES, fieldsOf, type Category } from './categories.js';
import { fills, requiredElements } from './r4-structure.js';
import { ResearchMappingSchema } from '../research/catalogue-schema.js';

/**
 * A hospital's mapping file: for each record category, the SQL to run (one per dialect, one named
 * parameter `@patientKey`) and how the returned columns become FHIR R4 elements.
 * It is the only place SQL comes from: never a request, never the ledger.
 */

export const DIALECTS = ['sqlite', 'mssql'] as const;
export type Dialect = (typeof DIALECTS)[number];

export { PATIENT_KEY_PARAM };

const FhirPath = Type.String({
  pattern: '^[a-z][A-Za-z0-9]*(\\[[0-9]+\\])?(\\.[a-z][A-Za-z0-9]*(\\[[0-9]+\\])?)*$',
  description: 'FHIR element path below the resource, e.g. code.coding[0].code',
});
const Column = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', maxLength: 128 });
const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean()]);

export const FHIR_VALUE_TYPES = ['string', 'code', 'uri', 'integer', 'decimal', 'boolean', 'date', 'dateTime'] as const;
export type FhirValueType = (typeof FHIR_VALUE_TYPES)[number];

const FromColumn = Type.Object(
  {
    path: FhirPath,
    column: Column,
    type: Type.Union(FHIR_VALUE_TYPES.map((t) => Type.Literal(t))),
    prefix: Type.Optional(Type.String({ description: 'prepended to string values, e.g. "Patient/h1-pat-"' })),
    map: Type.Optional(Type.Record(Type.String(), Scalar, { description: 'local code → FHIR value' })),
  },
  { additionalProperties: false },
);
const Constant = Type.Object({ path: FhirPath, const: Scalar }, { additionalProperties: false });
export const ElementMapping = Type.Union([FromColumn, Constant]);

const Sql = Type.String({ minLength: 1, maxLength: 8000 });
export const CategoryMapping = Type.Object(
  {
    sql: Type.Object({ sqlite: Sql, mssql: Sql }, { additionalProperties: false }),
    id: Type.Object(
      { column: Column, prefix: Type.String({ pattern: '^[A-Za-z0-9\\-.]{1,32}$' }) },
      { additionalProperties: false, description: 'resource id = prefix + primary key value' },
    ),
    lastUpdated: Type.Optional(
      Type.Object(
        { column: Column },
        { additionalProperties: false, description: "the row's last-change timestamp: the resource's meta.lastUpdated" },
      ),
    ),
    elements: Type.Array(ElementMapping, { minItems: 1 }),
    changes: Type.Optional(
      Type.Object(
        {
          sql: Type.Object({ sqlite: Sql, mssql: Sql }, { additionalProperties: false }),
          detects: Type.String({ minLength: 1, maxLength: 500, description: 'how the EHR records the change: a change log kept by triggers, change tracking, a rowversion column' }),
        },
        {
          additionalProperties: false,
          description:
            "the category's change query: one SELECT bound to @since (the largest version seen) answering `version` (an integer that only grows) and `patientKey` for each row changed since; the watcher re-hashes only those patients",
        },
      ),
    ),
  },
  { additionalProperties: false },
);

/**
 * Which identifier of the person the chart itself holds (a national id column, say), and under
 * which external-id kind people are registered with it: before linking a chart to a participant,
 * the gateway proves that this value's keyed hash is the participant's registered one.
 */
export const ChartIdentifierMapping = Type.Object(
  {
    sql: Type.Object({ sqlite: Sql, mssql: Sql }, { additionalProperties: false }),
    column: Column,
    externalIdKind: Type.String({ pattern: '^[a-z][a-z0-9-]{1,31}$' }),
  },
  { additionalProperties: false },
);

/** The query name under which an EhrStore holds the chart identifier's SQL (not a FHIR category). */
export const CHART_IDENTIFIER_QUERY = 'chart-identifier';

export const HospitalMappingSchema = Type.Object(
  {
    hospital: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
    description: Type.Optional(Type.String()),
    chartIdentifier: Type.Optional(ChartIdentifierMapping),
    /** the hospital's aggregate catalogue for research answers (docs/research.md) */
    research: Type.Optional(ResearchMappingSchema),
    categories: Type.Object(
      {
        Patient: Type.Optional(CategoryMapping),
        Observation: Type.Optional(CategoryMapping),
        MedicationRequest: Type.Optional(CategoryMapping),
        Condition: Type.Optional(CategoryMapping),
        AllergyIntolerance: Type.Optional(CategoryMapping),
        Immunization: Type.Optional(CategoryMapping),
        Encounter: Type.Optional(CategoryMapping),
      } satisfies Record<Category, unknown>,
      { additionalProperties: false, minProperties: 1 },
    ),
  },
  { additionalProperties: false },
);

export type ElementMapping = Static<typeof ElementMapping>;
export type CategoryMapping = Static<typeof CategoryMapping>;
export type HospitalMapping = Static<typeof HospitalMappingSchema>;

/** A mapping file that cannot be used: the gateway refuses to start rather than serve wrong data. */
export class MappingError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid EHR mapping ${source}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'MappingError';
  }
}

export function loadMapping(file: string): HospitalMapping {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new MappingError(file, [`cannot read JSON: ${(err as Error).message}`]);
  }
  return parseMapping(json, file);
}

export function parseMapping(json: unknown, source: string): HospitalMapping {
  if (!Value.Check(HospitalMappingSchema, json)) {
    const problems = [...Value.Errors(HospitalMappingSchema, json)].slice(0, 20).map((e) => `${e.path || '/'}: ${e.message}`);
    throw new MappingError(source, problems);
  }
  const problems: string[] = [];
  for (const [category, mapping] of mappedCategories(json)) {
    problems.push(...categoryProblems(category, mapping).map((p) => `/categories/${category}${p}`));
  }
  for (const dialect of DIALECTS) {
    const sql = json.chartIdentifier?.sql[dialect];
    if (sql !== undefined) problems.push(...sqlProblems(sql).map((p) => `/chartIdentifier/sql/${dialect}: ${p}`));
  }
  if (problems.length > 0) throw new MappingError(source, problems);
  return json;
}

export function mappedCategories(mapping: HospitalMapping): [Category, CategoryMapping][] {
  return CATEGORIES.flatMap((c) => {
    const m = mapping.categories[c];
    return m ? [[c, m] as [Category, CategoryMapping]] : [];
  });
}

/** The SQL text per category for one dialect: what an EhrStore adapter is built with. */
export function queriesFor(mapping: HospitalMapping, dialect: Dialect): Record<string, string> {
  const chart = mapping.chartIdentifier ? [[CHART_IDENTIFIER_QUERY, mapping.chartIdentifier.sql[dialect]]] : [];
  return Object.fromEntries([...mappedCategories(mapping).map(([c, m]) => [c, m.sql[dialect]]), ...chart]);
}

/** Each followed category's change query in one dialect (categories without `changes` are not followed). */
export function changeQueriesFor(mapping: HospitalMapping, dialect: Dialect): Record<string, string> {
  return Object.fromEntries(mappedCategories(mapping).flatMap(([c, m]) => (m.changes ? [[c, m.changes.sql[dialect]]] : [])));
}

function categoryProblems(category: Category, mapping: CategoryMapping): string[] {
  const problems: string[] = [];
  for (const dialect of DIALECTS) {
    for (const p of sqlProblems(mapping.sql[dialect])) problems.push(`/sql/${dialect}: ${p}`);
    if (mapping.changes) for (const p of sqlProblems(mapping.changes.sql[dialect], [CHANGE_SINCE_PARAM])) problems.push(`/changes/sql/${dialect}: ${p}`);
  }
  const allowed = new Set<string>(fieldsOf(category));
  const paths = mapping.elements.map((e) => e.path);
  mapping.elements.forEach((element, i) => {
    const top = element.path.split(/[.[]/)[0]!;
    if (!allowed.has(top)) problems.push(`/elements/${i}: "${top}" is not an element ${category} may carry`);
    if (paths.some((other) => other !== element.path && (other.startsWith(`${element.path}.`) || other.startsWith(`${element.path}[`)))) {
      problems.push(`/elements/${i}: path ${element.path} is also the parent of another path`);
    }
    if (paths.indexOf(element.path) !== i) problems.push(`/elements/${i}: path ${element.path} mapped twice`);
  });
  const tops = paths.map((path) => path.split(/[.[]/)[0]!);
  for (const element of requiredElements(category)) {
    if (!tops.some((top) => fills(element, top))) problems.push(`/elements: FHIR R4 requires ${category}.${element.name}; map it`);
  }
  return problems;
}

/**
 * Guards against mapping mistakes (the file is trusted configuration, the real defence is that values
 * are always bound as parameters): one read statement using exactly the named parameters `params`
 * (a category's query: `@patientKey` alone).
 */
export function sqlProblems(sql: string, params: readonly string[] = [PATIENT_KEY_PARAM]): string[] {
  const problems: string[] = [];
  const code = sql.replace(/'(?:[^']|'')*'/g, "''").replace(/--[^\n]*/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ');
  if (!/^\s*(select|with)\b/i.test(code)) problems.push('must be a single SELECT (or WITH … SELECT) statement');
  if (/;\s*\S/.test(code)) problems.push('must be a single statement (no ";" before the end)');
  for (const param of params) {
    if (!new RegExp(`@${param}\\b`).test(code)) problems.push(`must use the named parameter @${param}`);
  }
  const named = new Set(params.map((p) => `@${p}`));
  const others = [...code.matchAll(/@@?[A-Za-z_][A-Za-z0-9_]*|[:$][A-Za-z_][A-Za-z0-9_]*|\?/g)]
    .map((m) => m[0])
    .filter((m) => !named.has(m));
  if (others.length > 0) problems.push(`must not use other parameters or variables (${[...new Set(others)].join(', ')})`);
  if (/\b(insert|update|delete|merge|drop|alter|create|exec|execute|truncate|grant)\b/i.test(code)) {
    problems.push('must not modify data or schema');
  }
  return problems;
}
