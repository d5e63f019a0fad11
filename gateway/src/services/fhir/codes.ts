/**
 * Every code system and identifier system the FHIR facade writes, in one place. MedRec's own
 * systems live under https://medrec.example/fhir/ (the gatekeeper's Bundle tags already do).
 */
const MEDREC = 'https://medrec.example/fhir';

export const SYSTEMS = {
  /** a participant id (pid): the stable pseudonymous id of a person; also the facade's Patient id */
  participant: `${MEDREC}/sid/participant`,
  /** an identity id (iid): one enrolled certificate of a participant */
  identity: `${MEDREC}/sid/identity`,
  relationship: `${MEDREC}/sid/relationship`,
  /** a ledger grant: `<relationship id>:<viewer pid>` */
  grant: `${MEDREC}/sid/grant`,
  /** an organisation's Fabric MSP id, e.g. Hospital1MSP */
  msp: `${MEDREC}/sid/msp`,
  /** the problem codes of the REST API (RFC 9457 `code`), carried in OperationOutcome.issue.details */
  problem: `${MEDREC}/CodeSystem/problem`,
  /** certificate roles: patient, provider, viewer, auditor, … */
  role: `${MEDREC}/CodeSystem/role`,
  /** the top-level elements a grant names for one category (Consent.provision) */
  grantedElement: `${MEDREC}/StructureDefinition/granted-element`,
  uri: 'urn:ietf:rfc:3986',
  resourceTypes: 'http://hl7.org/fhir/resource-types',
  restfulInteraction: 'http://hl7.org/fhir/restful-interaction',
  actReason: 'http://terminology.hl7.org/CodeSystem/v3-ActReason',
  participationType: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType',
  consentScope: 'http://terminology.hl7.org/CodeSystem/consentscope',
  consentAction: 'http://terminology.hl7.org/CodeSystem/consentaction',
  auditEventType: 'http://terminology.hl7.org/CodeSystem/audit-event-type',
  auditEntityType: 'http://terminology.hl7.org/CodeSystem/audit-entity-type',
  objectRole: 'http://terminology.hl7.org/CodeSystem/object-role',
  securitySourceType: 'http://terminology.hl7.org/CodeSystem/security-source-type',
  dicom: 'http://dicom.nema.org/resources/ontology/DCM',
} as const;

/** HL7 v3 PurposeOfUse (in the v3 ActReason code system): the ledger's purposes, with their display. */
export const PURPOSE_DISPLAY: Record<string, string> = {
  TREAT: 'treatment',
  ETREAT: 'emergency treatment',
  HPAYMT: 'healthcare payment',
  HOPERAT: 'healthcare operations',
  FAMRQT: 'family requested',
  PATRQT: 'patient requested',
  PWATRNY: 'power of attorney',
  HRESCH: 'healthcare research',
  PUBHLTH: 'public health',
  CAREMGT: 'care management',
};

export const FHIR_JSON = 'application/fhir+json';
