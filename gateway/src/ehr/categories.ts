/**
 * Record categories and the top-level FHIR elements a grant or request may name.
 * Temporary home: the chaincode's domain module (`@medrec/chaincode/domain`) owns this list; switch the
 * re-export here to that import once it lands, so the gateway and the ledger cannot disagree.
 */
export const CATEGORIES = [
  'Patient',
  'Observation',
  'MedicationRequest',
  'Condition',
  'AllergyIntolerance',
  'Immunization',
  'Encounter',
] as const;

export type Category = (typeof CATEGORIES)[number];

export const CATEGORY_FIELDS: Readonly<Record<Category, readonly string[]>> = {
  Patient: ['identifier', 'active', 'name', 'telecom', 'gender', 'birthDate', 'deceasedBoolean', 'deceasedDateTime',
    'address', 'maritalStatus', 'multipleBirthBoolean', 'multipleBirthInteger', 'photo', 'contact', 'communication',
    'generalPractitioner', 'managingOrganization', 'link'],
  Observation: ['identifier', 'basedOn', 'partOf', 'status', 'category', 'code', 'subject', 'focus', 'encounter',
    'effectiveDateTime', 'effectivePeriod', 'effectiveTiming', 'effectiveInstant', 'issued', 'performer',
    'valueQuantity', 'valueCodeableConcept', 'valueString', 'valueBoolean', 'valueInteger', 'valueRange',
    'valueRatio', 'valueSampledData', 'valueTime', 'valueDateTime', 'valuePeriod', 'dataAbsentReason',
    'interpretation', 'note', 'bodySite', 'method', 'specimen', 'device', 'referenceRange', 'hasMember',
    'derivedFrom', 'component'],
  MedicationRequest: ['identifier', 'status', 'statusReason', 'intent', 'category', 'priority', 'doNotPerform',
    'reportedBoolean', 'reportedReference', 'medicationCodeableConcept', 'medicationReference', 'subject',
    'encounter', 'supportingInformation', 'authoredOn', 'requester', 'performer', 'performerType', 'recorder',
    'reasonCode', 'reasonReference', 'instantiatesCanonical', 'instantiatesUri', 'basedOn', 'groupIdentifier',
    'courseOfTherapyType', 'insurance', 'note', 'dosageInstruction', 'dispenseRequest', 'substitution',
    'priorPrescription', 'detectedIssue', 'eventHistory'],
  Condition: ['identifier', 'clinicalStatus', 'verificationStatus', 'category', 'severity', 'code', 'bodySite',
    'subject', 'encounter', 'onsetDateTime', 'onsetAge', 'onsetPeriod', 'onsetRange', 'onsetString',
    'abatementDateTime', 'abatementAge', 'abatementPeriod', 'abatementRange', 'abatementString', 'recordedDate',
    'recorder', 'asserter', 'stage', 'evidence', 'note'],
  AllergyIntolerance: ['identifier', 'clinicalStatus', 'verificationStatus', 'type', 'category', 'criticality',
    'code', 'patient', 'encounter', 'onsetDateTime', 'onsetAge', 'onsetPeriod', 'onsetRange', 'onsetString',
    'recordedDate', 'recorder', 'asserter', 'lastOccurrence', 'note', 'reaction'],
  Immunization: ['identifier', 'status', 'statusReason', 'vaccineCode', 'patient', 'encounter', 'occurrenceDateTime',
    'occurrenceString', 'recorded', 'primarySource', 'reportOrigin', 'location', 'manufacturer', 'lotNumber',
    'expirationDate', 'site', 'route', 'doseQuantity', 'performer', 'note', 'reasonCode', 'reasonReference',
    'isSubpotent', 'subpotentReason', 'education', 'programEligibility', 'fundingSource', 'reaction',
    'protocolApplied'],
  Encounter: ['identifier', 'status', 'statusHistory', 'class', 'classHistory', 'type', 'serviceType', 'priority',
    'subject', 'episodeOfCare', 'basedOn', 'participant', 'appointment', 'period', 'length', 'reasonCode',
    'reasonReference', 'diagnosis', 'account', 'hospitalization', 'location', 'serviceProvider', 'partOf'],
};

export function isCategory(name: string): name is Category {
  return (CATEGORIES as readonly string[]).includes(name);
}

/** A category this hospital does not serve (or no category at all): the caller answers 4xx. */
export class UnknownCategoryError extends Error {
  readonly code = 'UNKNOWN_CATEGORY';
  constructor(readonly category: string) {
    super(`unknown record category ${JSON.stringify(category.slice(0, 64))}`);
    this.name = 'UnknownCategoryError';
  }
}
