import {
  AGE_BANDS,
  DIMENSIONS,
  RESEARCH_CONDITIONS,
  RESEARCH_LABS,
  RESEARCH_LIMITS,
  RESEARCH_MEDICATIONS,
  SEXES,
  TEMPLATE_IDS,
} from '@medrec/chaincode/domain';
import { Type, type TProperties } from '@sinclair/typebox';
import { Category, Hex64, IsoInstant, MspId, RelationshipId, TxReceipt } from './schemas.js';

/**
 * The research routes' TypeBox schemas (docs/research.md): every value from the research vocabulary,
 * so a study or bounty that would not pass the chaincode fails here first, with the same meaning.
 */

const literals = <T extends string>(values: readonly T[], description?: string) =>
  Type.Union(values.map((v) => Type.Literal(v)), description ? { description } : {});

export const QueryId = Type.String({ ...Hex64, description: 'a study or bounty id' });
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' });

export const Criteria = Type.Object(
  {
    ageBands: Type.Optional(Type.Array(literals(AGE_BANDS), { minItems: 1, uniqueItems: true })),
    sex: Type.Optional(Type.Array(literals(SEXES), { minItems: 1, uniqueItems: true })),
    conditions: Type.Optional(
      Type.Array(literals(RESEARCH_CONDITIONS, 'SNOMED CT'), { minItems: 1, maxItems: RESEARCH_LIMITS.conditionsPerQuery, uniqueItems: true }),
    ),
    period: Type.Optional(Type.Object({ from: Day, to: Day }, { additionalProperties: false, description: '[from, to)' })),
  },
  { additionalProperties: false, description: 'cohort criteria from the fixed vocabulary' },
);

const QueryFields = {
  template: literals(TEMPLATE_IDS, 'a template of the aggregate catalogue'),
  code: Type.Optional(
    Type.Union([literals([...Object.keys(RESEARCH_LABS), ...RESEARCH_MEDICATIONS], 'LOINC (lab-mean) or RxNorm (medication-count)'), Type.Null()]),
  ),
  criteria: Type.Optional(Criteria),
  groupBy: Type.Optional(Type.Array(literals(DIMENSIONS), { uniqueItems: true })),
  epsilon: Type.Number({
    minimum: RESEARCH_LIMITS.epsilonMin,
    maximum: RESEARCH_LIMITS.epsilonMax,
    description: "the privacy loss each hospital's answer costs (at most three decimals)",
  }),
};

export const StudyBody = Type.Object(
  { ...QueryFields, validUntil: IsoInstant, protocolHash: Type.Optional(Type.String({ ...Hex64, description: "SHA-256 of the study's protocol" })) },
  { additionalProperties: false },
);

export const BountyBody = Type.Object(
  { relationshipId: RelationshipId, category: Category, ...QueryFields },
  { additionalProperties: false, description: 'the pointer update (one category, re-hashed here) and the bounty query it carries' },
);

export const ConsentBody = Type.Object(
  {
    relationshipIds: Type.Optional(Type.Array(RelationshipId, { minItems: 1, maxItems: 500, uniqueItems: true, description: 'default: every open relationship of yours' })),
    categories: Type.Array(Category, { minItems: 1, maxItems: 7, uniqueItems: true }),
    studyId: Type.Optional(QueryId),
    validUntil: Type.Optional(IsoInstant),
  },
  { additionalProperties: false },
);

/** Ledger records and answers as they are: named members described, anything else passed through untouched. */
const Loose = <T extends TProperties>(properties: T, description?: string) =>
  Type.Object(properties, { additionalProperties: true, ...(description ? { description } : {}) });

export const ResearchConsent = Loose({
  relationshipId: Type.String(),
  providerMspId: Type.String(),
  categories: Type.Array(Type.String()),
  studyId: Type.Union([Type.String(), Type.Null()]),
  validUntil: Type.Union([Type.String(), Type.Null()]),
  status: Type.String(),
  updatedAt: Type.String(),
});

export const ConsentView = Loose({
  relationshipId: Type.String(),
  providerMspId: Type.String(),
  consent: Type.Union([ResearchConsent, Type.Null()]),
});

export const ResearchQuery = Loose({
  queryId: Type.String(),
  kind: Type.String(),
  template: Type.String(),
  code: Type.Union([Type.String(), Type.Null()]),
  criteria: Loose({}),
  groupBy: Type.Array(Type.String()),
  epsilon: Type.Number(),
  ownerId: Type.String(),
  ownerMspId: Type.String(),
  providerMspId: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  validUntil: Type.String(),
});

export const Release = Loose({
  queryId: Type.String(),
  mspId: Type.String(),
  requesterId: Type.String(),
  answerHash: Type.String(),
  epsilon: Type.Number(),
  cells: Type.Integer(),
  releasedAt: Type.String(),
  txId: Type.String(),
});

/** Served as computed: its hash is over every member, so nothing may be dropped on the way. */
export const ResearchAnswer = Loose(
  {
    queryId: Type.String(),
    kind: Type.String(),
    mspId: Type.String(),
    template: Type.String(),
    measure: Type.String(),
    cells: Type.Array(Loose({})),
    total: Type.Union([Loose({}), Type.Null()]),
    noise: Loose({}),
  },
  'one hospital\'s answer after disclosure control: noisy counts (and means) of released cells, suppressed cells marked, the noise it carries',
);

export const ReleasedAnswer = Type.Object({
  answer: ResearchAnswer,
  answerHash: Type.String({ description: "SHA-256 of the answer's canonical JSON, as the ledger's release record holds it" }),
  release: TxReceipt,
});

export const Collection = Type.Object({
  queryId: Type.String(),
  hospitals: Type.Array(Loose({ mspId: Type.String(), gatekeeper: Type.String(), outcome: Type.String() }, 'released (with verified), refused or unknown')),
  combined: Type.Union([Loose({}), Type.Null()]),
});

export const Inclusions = Type.Object({
  inclusions: Type.Array(Loose({ queryId: Type.String(), kind: Type.String(), releasedAt: Type.String() })),
});

export const Steward = Loose({ mspId: MspId, participantId: Type.String(), registeredAt: Type.String() });
export const GatekeeperEntry = Loose({ mspId: Type.String(), endpoint: Type.String(), templates: Type.Array(Type.String()), updatedAt: Type.String() });
export const Budget = Loose({ participantId: Type.String(), spent: Type.Number(), limit: Type.Number(), releases: Type.Integer() });
