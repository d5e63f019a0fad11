import type { Row } from '../ports/ehr.js';
import type { Category } from './categories.js';
import { setPath } from './fhir-path.js';
import { EhrMappingError, toFhirValue } from './fhir-values.js';
import type { CategoryMapping } from './mapping.js';

export interface FhirResource {
  resourceType: string;
  id: string;
  [element: string]: unknown;
}

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/**
 * One database row as one FHIR R4 resource. The id comes from the row's primary key (stable across
 * fetches, and not the MRN); null columns leave their element out.
 */
export function rowToResource(category: Category, mapping: CategoryMapping, row: Row): FhirResource {
  const key = column(row, mapping.id.column, category);
  const id = `${mapping.id.prefix}${key ?? ''}`;
  if (key === null || !FHIR_ID.test(id)) {
    throw new EhrMappingError(`${category}: primary key column ${mapping.id.column} gives no valid FHIR id`);
  }
  const resource: FhirResource = { resourceType: category, id };
  for (const element of mapping.elements) {
    if ('const' in element) {
      setPath(resource, element.path, element.const);
      continue;
    }
    const where = `${category}.${element.path}`;
    const raw = column(row, element.column, category);
    const local = raw !== null && element.map ? mapCode(element.map, raw, where) : raw;
    const value = typeof local === 'boolean' ? local : toFhirValue(local, element.type, where);
    if (value === undefined) continue;
    setPath(resource, element.path, element.prefix !== undefined ? `${element.prefix}${value}` : value);
  }
  return resource;
}

function column(row: Row, name: string, category: Category) {
  if (!(name in row)) throw new EhrMappingError(`${category}: the query returns no column ${name}`);
  return row[name]!;
}

function mapCode(map: Record<string, string | number | boolean>, raw: string | number, where: string) {
  const mapped = map[String(raw)];
  if (mapped === undefined) throw new EhrMappingError(`${where}: local code has no mapping`);
  return mapped;
}
