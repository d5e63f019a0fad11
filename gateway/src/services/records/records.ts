import type { EhrStore } from '../../ports/ehr.js';
import { isCategory, UnknownCategoryError, type Category } from './categories.js';
import { canonicalJson, sha256Hex } from './canonical.js';
import type { HospitalMapping } from './mapping.js';
import { rowToResource, type FhirResource } from './to-fhir.js';

export type { FhirResource } from './to-fhir.js';

export interface SearchsetBundle {
  resourceType: 'Bundle';
  type: 'searchset';
  total: number;
  meta?: Record<string, unknown>;
  entry: { fullUrl?: string; resource: FhirResource; search: { mode: 'match' } }[];
}

/** A hospital's records as FHIR: the mapped query for a category, rows turned into resources. */
export class RecordService {
  constructor(
    private readonly store: EhrStore,
    private readonly mapping: HospitalMapping,
  ) {}

  get hospital(): string {
    return this.mapping.hospital;
  }

  /** The categories this hospital has a query for. */
  categories(): Category[] {
    return Object.keys(this.mapping.categories).filter(isCategory);
  }

  /**
   * All resources of one category for one local patient (their MRN), in the query's order.
   * Throws UnknownCategoryError for a category this hospital does not map, EhrUnavailableError if
   * the database cannot answer.
   */
  async fetch(category: string, patientKey: string): Promise<FhirResource[]> {
    const mapping = isCategory(category) ? this.mapping.categories[category] : undefined;
    if (!isCategory(category) || !mapping) throw new UnknownCategoryError(category);
    const rows = await this.store.query(category, patientKey);
    return rows.map((row) => rowToResource(category, mapping, row));
  }
}

/**
 * SHA-256 (hex) of the resources' canonical JSON (keys sorted, no whitespace), resources sorted by id:
 * the value a provider writes in the ledger pointer and the gatekeeper recomputes at fetch time.
 */
export function hashResources(resources: readonly FhirResource[]): string {
  const sorted = [...resources].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return sha256Hex(canonicalJson(sorted));
}

/** Keeps only the granted top-level elements (plus resourceType and id) of each resource. */
export function project(resources: readonly FhirResource[], fields: readonly string[]): FhirResource[] {
  const granted = new Set(fields);
  return resources.map((resource) => {
    const kept: FhirResource = { resourceType: resource.resourceType, id: resource.id };
    for (const [name, value] of Object.entries(resource)) {
      if (granted.has(name) && name !== 'resourceType' && name !== 'id') kept[name] = value;
    }
    return kept;
  });
}

export interface BundleOptions {
  /** e.g. tags saying which ledger pointer and hash the answer was checked against */
  meta?: Record<string, unknown>;
  /** absolute base URL; when given, entries carry `fullUrl` = base/Type/id */
  baseUrl?: string;
}

export function toBundle(resources: readonly FhirResource[], options: BundleOptions = {}): SearchsetBundle {
  const base = options.baseUrl?.replace(/\/+$/, '');
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(options.meta ? { meta: options.meta } : {}),
    total: resources.length,
    entry: resources.map((resource) => ({
      ...(base ? { fullUrl: `${base}/${resource.resourceType}/${resource.id}` } : {}),
      resource,
      search: { mode: 'match' as const },
    })),
  };
}
