import type { Category } from './categories.js';
import { structuralElement, structuralElements } from './r4-structure.js';
import type { FhirResource } from './to-fhir.js';

/** FHIR's mark for a resource that is not the whole resource: a client must not store it over the real one. */
export const SUBSETTED = {
  system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue',
  code: 'SUBSETTED',
  display: 'subsetted',
} as const;

/**
 * The elements that accompany every grant of this category, whatever it names, as StructureDefinition
 * names (`status`, `medication[x]`): those FHIR R4 requires (min ≥ 1) and the modifier elements (a
 * status of entered-in-error, a doNotPerform change the meaning of the rest). They are served with
 * their real values — they are what makes a granted value interpretable: a valueQuantity without its
 * code means nothing. The patient app shows this list beside the consent checkboxes.
 */
export function alwaysIncluded(category: Category): string[] {
  return structuralElements(category).map((e) => e.name);
}

/**
 * A viewer's view of one resource: the granted top-level elements and the `alwaysIncluded` ones, each
 * with its real value; every other element is left out. A resource that lost anything is tagged
 * SUBSETTED and keeps no other meta (its lastUpdated would tell when the record changed, which the
 * grant may not cover); one that lost nothing is returned unchanged.
 */
export function projectResource(resource: FhirResource, granted: ReadonlySet<string>): FhirResource {
  const kept: FhirResource = { resourceType: resource.resourceType, id: resource.id };
  let subsetted = false;
  for (const key of Object.keys(resource)) {
    if (key === 'resourceType' || key === 'id' || key === 'meta') continue;
    const name = key.startsWith('_') ? key.slice(1) : key;
    if (granted.has(name) || isStructural(resource.resourceType, name)) kept[key] = resource[key];
    else subsetted = true;
  }
  if (!subsetted) return resource;
  kept['meta'] = { tag: [SUBSETTED] };
  return kept;
}

/**
 * structuralElement's answer per category and element name, remembered: a projection asks it for every
 * element of every resource it serves, and the names are the few the hospital's mapping produces. The
 * memo is bounded (a name past the bound is answered, just not remembered).
 */
const structural = new Map<string, boolean>();
const MAX_STRUCTURAL_NAMES = 4_096;

function isStructural(resourceType: string, name: string): boolean {
  const key = `${resourceType}\u0000${name}`;
  let answer = structural.get(key);
  if (answer === undefined) {
    answer = structuralElement(resourceType, name) !== undefined;
    if (structural.size < MAX_STRUCTURAL_NAMES) structural.set(key, answer);
  }
  return answer;
}

export function isSubsetted(resource: FhirResource): boolean {
  const tags = (resource['meta'] as { tag?: { system?: string; code?: string }[] } | undefined)?.tag ?? [];
  return tags.some((t) => t.system === SUBSETTED.system && t.code === SUBSETTED.code);
}
