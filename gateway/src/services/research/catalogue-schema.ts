import { SEXES, type TemplateId } from '@medrec/chaincode/domain';
import { Type, type Static } from '@sinclair/typebox';

/**
 * A hospital's aggregate catalogue (the `research` section of its mapping file): how its own schema
 * answers the consortium's research templates. Only the mapping file holds this SQL; the ledger
 * carries template ids and vocabulary codes. Each query returns fixed columns (catalogue.ts):
 * patient keys, coded demographics, numbers — never a free-text or identifier column.
 */

const Sql = Type.String({ minLength: 1, maxLength: 8000 });
const SqlPair = Type.Object({ sqlite: Sql, mssql: Sql }, { additionalProperties: false });
const LocalCode = Type.String({ pattern: '^[A-Za-z0-9.-]{1,20}$' });
/** The consortium's code → this hospital's codes for the same thing (absent: the same code). */
const LocalCodes = Type.Record(LocalCode, Type.Array(LocalCode, { minItems: 1, maxItems: 32 }), {
  description: 'consortium code → local codes',
});
const EventTemplate = Type.Object({ sql: SqlPair, codes: Type.Optional(LocalCodes) }, { additionalProperties: false });

export const ResearchMappingSchema = Type.Object(
  {
    demographics: Type.Object(
      {
        sql: SqlPair,
        /** local sex code → FHIR administrative gender */
        sex: Type.Record(Type.String({ maxLength: 16 }), Type.Union(SEXES.map((s) => Type.Literal(s)))),
      },
      { additionalProperties: false },
    ),
    conditions: Type.Optional(Type.Object({ sql: SqlPair, codes: Type.Optional(LocalCodes) }, { additionalProperties: false })),
    templates: Type.Object(
      {
        'patient-count': Type.Optional(Type.Object({}, { additionalProperties: false })),
        'lab-mean': Type.Optional(EventTemplate),
        'medication-count': Type.Optional(EventTemplate),
      } satisfies Record<TemplateId, unknown>,
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export type ResearchMapping = Static<typeof ResearchMappingSchema>;
