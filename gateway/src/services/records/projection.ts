import { isPrimitive, structuralElement, type StructuralElement } from './r4-structure.js';
import type { FhirResource } from './to-fhir.js';

/** FHIR's mark for a resource that is not the whole resource: a client must not store it over the real one. */
export const SUBSETTED = {
  system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue',
  code: 'SUBSETTED',
  display: 'subsetted',
} as const;

const DATA_ABSENT_REASON = 'http://hl7.org/fhir/StructureDefinition/data-absent-reason';

/** An element FHIR requires, present, with its value withheld (data-absent-reason `masked`, or `unknown` when the EHR has none). */
export function absent(reason: 'masked' | 'unknown'): { extension: { url: string; valueCode: string }[] } {
  return { extension: [{ url: DATA_ABSENT_REASON, valueCode: reason }] };
}

/**
 * Is this structural element's value served although the grant does not name it? Only when it carries no
 * clinical content of its own: a state from a fixed FHIR code list (status, intent, clinicalStatus,
 * verificationStatus — required bindings) or the reference to the patient the grant is about. Anything
 * else FHIR requires (Observation.code, Immunization.occurrence[x], MedicationRequest.medication[x],
 * Encounter.class, …) is present but masked.
 */
export function disclosedWithoutGrant(element: StructuralElement): boolean {
  return element.binding === 'required' || element.types.some((t) => t.code === 'Reference' && t.targets?.includes('Patient'));
}

/** Sets `name` on `target` as present-but-absent, the way FHIR JSON does it for the element's type. */
export function setAbsent(target: Record<string, unknown>, name: string, element: StructuralElement, reason: 'masked' | 'unknown', many: boolean): void {
  if (isPrimitive(element.type)) target[`_${name}`] = absent(reason);
  else target[name] = many ? [absent(reason)] : absent(reason);
}

/**
 * A viewer's view of one resource: the granted top-level elements, plus what FHIR R4 will not let a
 * resource leave out (min ≥ 1) or that changes the meaning of the rest (modifiers) — served as they are
 * when `disclosedWithoutGrant`, otherwise present with data-absent-reason `masked`. Everything else is
 * left out. A resource that lost anything is tagged SUBSETTED and keeps no other meta (its lastUpdated
 * would tell when the record changed, which the grant may not cover); one that lost nothing is returned
 * unchanged.
 */
export function projectResource(resource: FhirResource, granted: ReadonlySet<string>): FhirResource {
  const kept: FhirResource = { resourceType: resource.resourceType, id: resource.id };
  let subsetted = false;
  for (const [key, value] of Object.entries(resource)) {
    if (key === 'resourceType' || key === 'id' || key === 'meta') continue;
    const name = key.startsWith('_') ? key.slice(1) : key;
    if (granted.has(name)) {
      kept[key] = value;
      continue;
    }
    subsetted = true;
    const element = structuralElement(resource.resourceType, name);
    if (!element || element.type === 'BackboneElement' || element.type === 'Extension') continue;
    if (disclosedWithoutGrant(element)) kept[key] = value;
    else if (!(key.startsWith('_') && name in resource)) setAbsent(kept, name, element, 'masked', Array.isArray(value));
  }
  if (!subsetted) return resource;
  kept['meta'] = { tag: [SUBSETTED] };
  return kept;
}

export function isSubsetted(resource: FhirResource): boolean {
  const tags = (resource['meta'] as { tag?: { system?: string; code?: string }[] } | undefined)?.tag ?? [];
  return tags.some((t) => t.system === SUBSETTED.system && t.code === SUBSETTED.code);
}
