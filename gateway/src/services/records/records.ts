import type { EhrStore } from '../../ports/ehr.js';
import { isCategory, UnknownCategoryError, type Category } from './categories.js';
import type { HospitalMapping } from './mapping.js';
import { projectResource } from './projection.js';
import { rowToResource, type FhirResource } from './to-fhir.js';

export type { FhirResource } from './to-fhir.js';
export { alwaysIncluded, isSubsetted, SUBSETTED } from './projection.js';

export interface SearchsetBundle {
  resourceType: 'Bundle';
  type: 'searchset';
  total: number;
  meta?: Record<string, unknown>;
  link?: { relation: 'self'; url: string }[];
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
 * The ledger pointer's hash (exact bytes: docs/ehr.md, "The pointer hash") is the client library's: the
 * device re-checks answers with the same function, so there is one implementation of those bytes.
 */
export { hashResources } from '@medrec/client/protocol';

/**
 * A viewer's answer: each resource reduced to the granted top-level elements plus those that always
 * accompany a grant (`alwaysIncluded`: R4's required and modifier elements), all with their real
 * values (projection.ts); reduced resources are tagged SUBSETTED.
 */
export function project(resources: readonly FhirResource[], fields: readonly string[]): FhirResource[] {
  const granted = new Set(fields);
  return resources.map((resource) => projectResource(resource, granted));
}

export interface BundleOptions {
  /** e.g. tags saying which ledger pointer and hash the answer was checked against */
  meta?: Record<string, unknown>;
  /** the FHIR base URL the resources live under; entries carry `fullUrl` = base/Type/id */
  baseUrl?: string;
  /** the search this Bundle answers: its `self` link */
  selfUrl?: string;
}

export function toBundle(resources: readonly FhirResource[], options: BundleOptions = {}): SearchsetBundle {
  const base = options.baseUrl?.replace(/\/+$/, '');
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(options.meta ? { meta: options.meta } : {}),
    total: resources.length,
    ...(options.selfUrl ? { link: [{ relation: 'self' as const, url: options.selfUrl }] } : {}),
    entry: resources.map((resource) => ({
      ...(base ? { fullUrl: `${base}/${resource.resourceType}/${resource.id}` } : {}),
      resource,
      search: { mode: 'match' as const },
    })),
  };
}
