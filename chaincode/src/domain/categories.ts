/**
 * FHIR R4 resource types a pointer or grant may name, each with the top-level elements a grant may
 * share. `resourceType` and `id` are always returned, so they are not grantable fields. Narrative
 * (`text`), `contained` and extensions are left out: they can carry anything.
 */
export const CATEGORY_FIELDS = {
  Patient: [
    'identifier', 'active', 'name', 'telecom', 'gender', 'birthDate', 'deceasedBoolean',
    'deceasedDateTime', 'address', 'maritalStatus', 'multipleBirthBoolean', 'multipleBirthInteger',
    'photo', 'contact', 'communication', 'generalPractitioner', 'managingOrganization', 'link',
  ],
  Observation: [
    'identifier', 'basedOn', 'partOf', 'status', 'category', 'code', 'subject', 'focus', 'encounter',
    'effectiveDateTime', 'effectivePeriod', 'effectiveTiming', 'effectiveInstant', 'issued',
    'performer', 'valueQuantity', 'valueCodeableConcept', 'valueString', 'valueBoolean',
    'valueInteger', 'valueRange', 'valueRatio', 'valueSampledData', 'valueTime', 'valueDateTime',
    'valuePeriod', 'dataAbsentReason', 'interpretation', 'note', 'bodySite', 'method', 'specimen',
    'device', 'referenceRange', 'hasMember', 'derivedFrom', 'component',
  ],
  MedicationRequest: [
    'identifier', 'status', 'statusReason', 'intent', 'category', 'priority', 'doNotPerform',
    'reportedBoolean', 'reportedReference', 'medicationCodeableConcept', 'medicationReference',
    'subject', 'encounter', 'supportingInformation', 'authoredOn', 'requester', 'performer',
    'performerType', 'recorder', 'reasonCode', 'reasonReference', 'instantiatesCanonical',
    'instantiatesUri', 'basedOn', 'groupIdentifier', 'courseOfTherapyType', 'insurance', 'note',
    'dosageInstruction', 'dispenseRequest', 'substitution', 'priorPrescription', 'detectedIssue',
    'eventHistory',
  ],
  Condition: [
    'identifier', 'clinicalStatus', 'verificationStatus', 'category', 'severity', 'code', 'bodySite',
    'subject', 'encounter', 'onsetDateTime', 'onsetAge', 'onsetPeriod', 'onsetRange', 'onsetString',
    'abatementDateTime', 'abatementAge', 'abatementPeriod', 'abatementRange', 'abatementString',
    'recordedDate', 'recorder', 'asserter', 'stage', 'evidence', 'note',
  ],
  AllergyIntolerance: [
    'identifier', 'clinicalStatus', 'verificationStatus', 'type', 'category', 'criticality', 'code',
    'patient', 'encounter', 'onsetDateTime', 'onsetAge', 'onsetPeriod', 'onsetRange', 'onsetString',
    'recordedDate', 'recorder', 'asserter', 'lastOccurrence', 'note', 'reaction',
  ],
  Immunization: [
    'identifier', 'status', 'statusReason', 'vaccineCode', 'patient', 'encounter',
    'occurrenceDateTime', 'occurrenceString', 'recorded', 'primarySource', 'reportOrigin',
    'location', 'manufacturer', 'lotNumber', 'expirationDate', 'site', 'route', 'doseQuantity',
    'performer', 'note', 'reasonCode', 'reasonReference', 'isSubpotent', 'subpotentReason',
    'education', 'programEligibility', 'fundingSource', 'reaction', 'protocolApplied',
  ],
  Encounter: [
    'identifier', 'status', 'statusHistory', 'class', 'classHistory', 'type', 'serviceType',
    'priority', 'subject', 'episodeOfCare', 'basedOn', 'participant', 'appointment', 'period',
    'length', 'reasonCode', 'reasonReference', 'diagnosis', 'account', 'hospitalization', 'location',
    'serviceProvider', 'partOf',
  ],
} as const satisfies Record<string, readonly string[]>;

export type Category = keyof typeof CATEGORY_FIELDS;
export const CATEGORIES = Object.keys(CATEGORY_FIELDS) as Category[];

export function isCategory(value: unknown): value is Category {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(CATEGORY_FIELDS, value);
}

export function fieldsOf(category: Category): readonly string[] {
  return CATEGORY_FIELDS[category];
}

export function isField(category: Category, field: unknown): field is string {
  return typeof field === 'string' && (CATEGORY_FIELDS[category] as readonly string[]).includes(field);
}
