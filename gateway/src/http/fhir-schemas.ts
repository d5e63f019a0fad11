import { Type, type TObject } from '@sinclair/typebox';
import { Hex64, MspId } from './schemas.js';

/** The FHIR facade's TypeBox schemas: query parameters (strict: an unknown one is refused) and the documented answers. */

const Format = Type.Optional(
  Type.Union(['json', 'application/json', 'application/fhir+json', 'application/json+fhir'].map((f) => Type.Literal(f)), {
    description: 'only JSON is served',
  }),
);

/** `patient=<pid>` or `patient=Patient/<pid>`: MedRec's participant id is the facade's Patient id. */
export const PatientParam = Type.String({ pattern: '^(Patient/)?[0-9a-f]{64}$', description: "the patient's participant id (pid), optionally as Patient/<pid>" });

export const RecordsQuery = Type.Object({ patient: PatientParam, _format: Format }, { additionalProperties: false });
export const FormatQuery = Type.Object({ _format: Format }, { additionalProperties: false });
export const PatientIdParams = Type.Object({ id: Type.String({ ...Hex64, description: "the patient's participant id (pid)" }) }, { additionalProperties: false });

const DateParam = Type.String({
  pattern: '^(ge|gt|le|lt)\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,3})?Z)?$',
  description: 'ge, gt, le or lt, then a date or a UTC instant',
});
export const AuditEventQuery = Type.Object(
  {
    patient: Type.Optional(PatientParam),
    altid: Type.Optional(Type.String({ ...Hex64, description: "the requester's identity id" })),
    date: Type.Optional(Type.Union([DateParam, Type.Array(DateParam, { minItems: 1, maxItems: 2 })])),
    site: Type.Optional(Type.String({ ...MspId, description: "only this hospital's log (its MSP id)" })),
    _count: Type.Optional(Type.String({ pattern: '^([1-9]|[1-9][0-9]|100)$', description: 'page size, 1-100 (default 50)' })),
    _cursor: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,4096}$', description: "opaque: taken from a Bundle's next link" })),
    _format: Format,
  },
  { additionalProperties: false },
);

const resource = (resourceType: string, description: string): TObject =>
  Type.Object({ resourceType: Type.Literal(resourceType) }, { additionalProperties: true, description });

export const BundleSchema = resource(
  'Bundle',
  "FHIR R4 searchset Bundle (application/fhir+json): each entry's fullUrl is the originating gatekeeper's; a viewer's resources are the gatekeeper's SUBSETTED subset; an OperationOutcome entry (search mode outcome) says what could not be answered or checked",
);
export const CapabilitySchema = resource('CapabilityStatement', 'FHIR R4 CapabilityStatement of this facade');
export const OutcomeSchema = resource('OperationOutcome', 'FHIR R4 OperationOutcome; issue.details.coding carries the problem code (https://medrec.example/fhir/CodeSystem/problem)');
