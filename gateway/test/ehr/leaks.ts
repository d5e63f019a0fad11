import { isDeepStrictEqual } from 'node:util';

/**
 * The test oracle for projections, written out by hand so that it does not share the code it checks:
 * without a grant naming them, a viewer may receive only these values — states from FHIR's fixed code
 * lists and the reference to the patient the grant is about (docs/gatekeeper.md, "What a viewer gets").
 * Every other element FHIR requires must arrive masked.
 */
export const UNGRANTED_VALUES: Record<string, readonly string[]> = {
  Patient: [],
  Observation: ['status'],
  MedicationRequest: ['status', 'intent', 'subject'],
  Condition: ['clinicalStatus', 'verificationStatus', 'subject'],
  AllergyIntolerance: ['clinicalStatus', 'verificationStatus', 'patient'],
  Immunization: ['status', 'patient'],
  Encounter: ['status'],
};

const MASKED = { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'masked' }] };
const SUBSETTED_META = {
  tag: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED', display: 'subsetted' }],
};

type Json = Record<string, unknown>;

/** The top-level elements of `projected` that show something of `source` the grant does not cover. */
export function leaked(source: Json, projected: Json, granted: readonly string[]): string[] {
  const allowed = new Set([...granted, ...(UNGRANTED_VALUES[String(source['resourceType'])] ?? [])]);
  const subsetted = Object.keys(source).some((k) => !['resourceType', 'id', 'meta'].includes(k) && !granted.includes(k.replace(/^_/, '')));
  return Object.keys(projected).filter((key) => {
    const value = projected[key];
    if (key === 'resourceType' || key === 'id') return value !== source[key];
    if (key === 'meta') return !isDeepStrictEqual(value, subsetted ? SUBSETTED_META : source['meta']);
    if (allowed.has(key.replace(/^_/, ''))) return !isDeepStrictEqual(value, source[key]);
    return !isDeepStrictEqual(value, MASKED) && !isDeepStrictEqual(value, [MASKED]);
  });
}
