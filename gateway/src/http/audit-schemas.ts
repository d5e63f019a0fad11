import { Type } from '@sinclair/typebox';

/** POST /gatekeeper/audit's answer (services/gatekeeper/audit-answer.ts): the OpenAPI document and the serializer use it. */
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const Str = Type.String();

export const AuditRecordSchema = Type.Object({
  seq: Type.Integer(),
  at: Str,
  requester: Nullable(Str),
  mspId: Nullable(Str),
  role: Nullable(Str),
  relationshipId: Nullable(Str),
  category: Nullable(Str),
  fields: Type.Union([Type.Array(Str), Type.Null()]),
  decision: Str,
  status: Type.Integer(),
  hashMatches: Type.Union([Type.Boolean(), Type.Null()]),
  jti: Nullable(Str),
  exp: Type.Union([Type.Integer(), Type.Null()]),
  queryId: Type.Optional(Nullable(Type.String({ description: 'the study or bounty a research answer was for (covered by the hash when present)' }))),
  prevHash: Str,
  hash: Str,
  patientId: Nullable(Type.String({ description: "the relationship's patient (pid)" })),
  requesterId: Nullable(Type.String({ description: "the requester's participant id" })),
  requesterRole: Type.Union([Type.Literal('patient'), Type.Literal('provider'), Type.Literal('viewer'), Type.Null()]),
  purpose: Nullable(Type.String({ description: "PurposeOfUse: a viewer's grant's purpose as the ledger holds it now; PATRQT for the patient" })),
});

export const AuditAnswerSchema = Type.Object({
  mspId: Str,
  gatekeeper: Str,
  access: Type.Union([Type.Literal('ALLOWED_PATIENT'), Type.Literal('ALLOWED_AUDITOR')]),
  head: Type.Object({ seq: Type.Integer(), hash: Str }, { description: "the log chain's head when read (check it against the ledger's anchors)" }),
  records: Type.Array(AuditRecordSchema, { description: 'newest first; each is the log row (its chain hash re-computable) plus what the ledger says of the people in it' }),
  next: Type.Union([Type.Integer(), Type.Null()], { description: "the next page's `before`, or null" }),
});
