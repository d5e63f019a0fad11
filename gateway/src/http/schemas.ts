import { CATEGORIES, PURPOSES, REGISTRAR_MAY_ENROL, ROLES } from '@medrec/chaincode/domain';
import { Type, type TSchema } from '@sinclair/typebox';

/**
 * Shared TypeBox schemas: the single source of request validation, TypeScript types and the OpenAPI
 * document. Patterns are strict on purpose: ids are hex, names are short tokens, so an injection
 * string or stray markup fails validation before any code sees it.
 */

export const Hex64 = Type.String({ pattern: '^[0-9a-f]{64}$', description: '64 lowercase hex characters' });
export const ParticipantId = Type.String({ ...Hex64, description: 'participant id (pid)' });
export const RelationshipId = Type.String({ ...Hex64, description: 'relationship id' });
export const Category = Type.Union(CATEGORIES.map((c) => Type.Literal(c)), { description: 'FHIR R4 resource type' });
export const Purpose = Type.Union(PURPOSES.map((p) => Type.Literal(p)), { description: 'HL7 v3 PurposeOfUse' });
export const Role = Type.Union(ROLES.map((r) => Type.Literal(r)));
export const EnrollableRole = Type.Union(
  REGISTRAR_MAY_ENROL.map((r) => Type.Literal(r)),
  { description: 'role written into the certificate (registrars and auditors are created by the CA admin)' },
);
/** An organisation's MSP id, e.g. Hospital1MSP. */
export const MspId = Type.String({ pattern: '^[A-Za-z][A-Za-z0-9.-]{0,63}$' });
export const Username = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{2,63}$', description: 'also the enrollment id' });
export const Password = Type.String({ minLength: 10, maxLength: 256 });
/** A one-time activation code: 20 symbols of Crockford base32, usually written in groups of five. */
export const ActivationCode = Type.String({ pattern: '^[0-9A-Za-z][0-9A-Za-z -]{15,38}$', description: 'e.g. 7K3QF-M2XWA-9RTPZ-0HC4N' });
export const DeviceJws = Type.String({ minLength: 1, maxLength: 16_384, description: 'compact ES256 JWS signed by the device key' });
export const Csr = Type.String({ minLength: 1, maxLength: 8192, description: 'PEM PKCS#10 certificate signing request (else 400 BAD_CSR)' });
export const ExternalIdKind = Type.String({ pattern: '^[a-z][a-z0-9-]{1,31}$', examples: ['national-id'] });
export const ExternalId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$', description: 'never stored: only its keyed hash' });
export const Mrn = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9-]{0,63}$', description: "the hospital's local medical record number" });
export const FieldName = Type.String({ pattern: '^[a-z][A-Za-z0-9]{0,63}$' });
export const IsoInstant = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,3})?Z$',
  description: 'UTC instant, e.g. 2030-01-01T00:00:00Z',
});

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String(),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
  },
  { additionalProperties: true, description: 'RFC 9457 problem details (application/problem+json)' },
);

/** Problem responses of a route, for the OpenAPI document. */
export function problems(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((s) => [s, Problem]));
}

export const SECURED = [{ bearerAuth: [] }];

/** The transaction that made a change; both null when the ledger already held the requested state. */
export const TxReceipt = Type.Object({
  txId: Type.Union([Type.String(), Type.Null()]),
  blockNumber: Type.Union([Type.String(), Type.Null()]),
});

export const Pointer = Type.Object(
  {
    relationshipId: Type.String(),
    category: Type.String(),
    hash: Type.String(),
    version: Type.Integer(),
    updatedAt: Type.String(),
  },
  { additionalProperties: true },
);

export const GrantItem = Type.Object(
  { category: Category, fields: Type.Array(FieldName, { minItems: 1, maxItems: 64, uniqueItems: true }) },
  { additionalProperties: false },
);

export const Grant = Type.Object(
  {
    relationshipId: Type.String(),
    viewerId: Type.String(),
    items: Type.Array(Type.Object({ category: Type.String(), fields: Type.Array(Type.String()) })),
    validUntil: Type.String(),
    purpose: Type.String(),
    status: Type.String(),
    grantedAt: Type.String(),
    updatedAt: Type.String(),
  },
  { additionalProperties: true },
);

export const RelationshipView = Type.Object(
  {
    relationshipId: Type.String(),
    patientId: Type.String(),
    providerId: Type.String(),
    providerMspId: Type.String(),
    endpoint: Type.String(),
    status: Type.String(),
    createdAt: Type.String(),
    updatedAt: Type.String(),
    pointers: Type.Array(Pointer),
    grants: Type.Array(Grant),
  },
  { additionalProperties: true },
);

export const SummaryEntry = Type.Object(
  {
    participantId: Type.String(),
    relationshipId: Type.String(),
    role: Type.String(),
    status: Type.String(),
    patientId: Type.String(),
    providerId: Type.String(),
    providerMspId: Type.String(),
    updatedAt: Type.String(),
  },
  { additionalProperties: true },
);

export const HistoryEntry = Type.Object(
  { txId: Type.String(), timestamp: Type.String(), isDelete: Type.Boolean(), value: Type.Unknown() },
  { additionalProperties: true },
);

export const IdentityRecord = Type.Object(
  {
    identityId: Type.String(),
    participantId: Type.String(),
    mspId: Type.String(),
    role: Type.String(),
    status: Type.String(),
  },
  { additionalProperties: true },
);

export const Notification = Type.Object({
  seq: Type.Integer(),
  blockNumber: Type.String(),
  txId: Type.String(),
  event: Type.String(),
  participantId: Type.String(),
  relationshipId: Type.Optional(Type.String()),
  status: Type.Optional(Type.String()),
  category: Type.Optional(Type.String()),
});

export const RelationshipParams = Type.Object({ id: RelationshipId }, { additionalProperties: false });

/** A registrar's or admin's answer when vouching for a person: the one-time code to hand over, and who it is for. */
export const IssuedActivation = Type.Object({
  code: ActivationCode,
  username: Type.String(),
  enrollmentId: Type.String(),
  role: Type.String(),
  participantId: ParticipantId,
  identityId: Type.String(),
  expiresAt: Type.String(),
  txId: Type.String(),
});
