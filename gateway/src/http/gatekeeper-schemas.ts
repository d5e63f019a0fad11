import { Type } from '@sinclair/typebox';
import { Category, RelationshipId } from './schemas.js';

/** The gatekeeper routes' TypeBox schemas: validation, types and the OpenAPI document in one place. */

export const JWS_PATTERN = '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*$';

const Coding = Type.Object({ system: Type.String(), code: Type.String() });
export const AnswerSchema = Type.Object({
  relationshipId: Type.String(),
  category: Type.String(),
  decision: Type.String({ description: 'the ledger decision code, e.g. ALLOWED_VIEWER' }),
  fields: Type.Array(Type.String()),
  projected: Type.Boolean({ description: 'elements were left out; sourceHash covers the full record' }),
  ledgerHash: Type.String({ description: "SHA-256 in the ledger's pointer" }),
  sourceHash: Type.String({ description: 'SHA-256 of the full category result, recomputed now' }),
  hashMatches: Type.Boolean(),
  version: Type.Integer(),
  bundle: Type.Object(
    { resourceType: Type.Literal('Bundle'), meta: Type.Object({ tag: Type.Array(Coding) }) },
    {
      additionalProperties: true,
      description:
        "FHIR R4 searchset Bundle: fullUrl <publicUrl>/fhir/<type>/<id> on every entry, a self link; a viewer's " +
        'resources carry the granted elements plus FHIR R4\'s required and modifier elements (alwaysIncluded) and are tagged SUBSETTED',
    },
  ),
});
export const FetchAnswerSchema = Type.Object({
  ...AnswerSchema.properties,
  gatekeeper: Type.String({ description: 'origin of the gatekeeper that answered' }),
  check: Type.Object(
    {
      ledgerHash: Type.Union([Type.String(), Type.Null()], { description: "pointer hash in the caller's own ledger view" }),
      localHash: Type.Union([Type.String(), Type.Null()], { description: 'hash of the received resources when complete' }),
      matches: Type.Union([Type.Boolean(), Type.Null()]),
    },
    { description: "checks made here, trusting neither gatekeeper's word" },
  ),
});
export const FetchBody = Type.Object(
  {
    relationshipId: RelationshipId,
    category: Category,
    fields: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z]{1,64}$' }), { maxItems: 64, uniqueItems: true })),
  },
  { additionalProperties: false },
);
