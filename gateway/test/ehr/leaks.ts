import { isDeepStrictEqual } from 'node:util';

/**
 * The test oracle for projections, written out by hand from the FHIR R4 resource definitions so that it
 * does not share the code it checks (docs/gatekeeper.md, "What a viewer gets"): besides the granted
 * elements, a viewer receives exactly these, with their real values — the elements R4 requires
 * (min ≥ 1) and the modifier elements. An element that is neither granted nor listed here never leaves.
 */
const EVERY_RESOURCE = ['implicitRules', 'modifierExtension'];
export const ALWAYS_INCLUDED: Record<string, readonly string[]> = {
  Patient: [...EVERY_RESOURCE, 'active', 'deceased[x]', 'link'],
  Observation: [...EVERY_RESOURCE, 'status', 'code'],
  MedicationRequest: [...EVERY_RESOURCE, 'status', 'intent', 'doNotPerform', 'medication[x]', 'subject'],
  Condition: [...EVERY_RESOURCE, 'clinicalStatus', 'verificationStatus', 'subject'],
  AllergyIntolerance: [...EVERY_RESOURCE, 'clinicalStatus', 'verificationStatus', 'patient'],
  Immunization: [...EVERY_RESOURCE, 'status', 'vaccineCode', 'patient', 'occurrence[x]', 'isSubpotent'],
  Encounter: [...EVERY_RESOURCE, 'status', 'class'],
};

const SUBSETTED_META = {
  tag: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED', display: 'subsetted' }],
};

type Json = Record<string, unknown>;

/** May this top-level JSON name (`status`, `_status`, `occurrenceDateTime`) reach a viewer granted `granted`? */
function mayLeave(resourceType: string, key: string, granted: readonly string[]): boolean {
  const name = key.replace(/^_/, '');
  if (granted.includes(name)) return true;
  return (ALWAYS_INCLUDED[resourceType] ?? []).some((element) =>
    element.endsWith('[x]') ? new RegExp(`^${element.slice(0, -3)}[A-Z]`).test(name) : element === name,
  );
}

const content = (resource: Json) => Object.keys(resource).filter((k) => !['resourceType', 'id', 'meta'].includes(k));

/**
 * The top-level elements of `projected` that should not be there: neither granted nor always
 * included, a value that is not the source's (nothing masked, nothing altered), or the wrong meta.
 */
export function leaked(source: Json, projected: Json, granted: readonly string[]): string[] {
  const type = String(source['resourceType']);
  const subsetted = content(source).some((k) => !mayLeave(type, k, granted));
  return Object.keys(projected).filter((key) => {
    const value = projected[key];
    if (key === 'resourceType' || key === 'id') return value !== source[key];
    if (key === 'meta') return !isDeepStrictEqual(value, subsetted ? SUBSETTED_META : source['meta']);
    return !mayLeave(type, key, granted) || !isDeepStrictEqual(value, source[key]);
  });
}

/** The elements of `source` a viewer granted `granted` should have received but did not. */
export function withheld(source: Json, projected: Json, granted: readonly string[]): string[] {
  const type = String(source['resourceType']);
  return content(source).filter((key) => mayLeave(type, key, granted) && !(key in projected));
}
