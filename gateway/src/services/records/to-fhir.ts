import type { FhirResource } from '@medrec/client/protocol';
import type { Row } from '../../ports/ehr.js';
import type { Category } from './categories.js';
import { setPath } from './fhir-path.js';
import { EhrMappingError, toFhirValue, toInstant } from './fhir-values.js';
import type { CategoryMapping } from './mapping.js';
import { fills, isPrimitive, requiredElements, structuralElement } from './r4-structure.js';

/** A FHIR resource as JSON: the client library's type, which the pointer hash is defined over. */
export type { FhirResource };

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/**
 * One database row as one FHIR R4 resource. The id comes from the row's primary key (stable across
 * fetches, and not the MRN); meta.lastUpdated from the row's last-change column when the mapping names
 * one; null columns leave their element out, except that an element R4 requires is then present with
 * data-absent-reason `unknown`.
 */
export function rowToResource(category: Category, mapping: CategoryMapping, row: Row): FhirResource {
  const key = column(row, mapping.id.column, category);
  const id = `${mapping.id.prefix}${key ?? ''}`;
  if (key === null || !FHIR_ID.test(id)) {
    throw new EhrMappingError(`${category}: primary key column ${mapping.id.column} gives no valid FHIR id`);
  }
  const resource: FhirResource = { resourceType: category, id };
  if (mapping.lastUpdated) {
    const lastUpdated = toInstant(column(row, mapping.lastUpdated.column, category), `${category}.meta.lastUpdated`);
    if (lastUpdated !== undefined) resource['meta'] = { lastUpdated };
  }
  const filled = new Set<string>();
  const fromColumns = new Set<string>();
  const values = mapping.elements.map((element) => {
    if ('const' in element) return element.const;
    fromColumns.add(parentOf(element.path));
    const where = `${category}.${element.path}`;
    const raw = column(row, element.column, category);
    const local = raw !== null && element.map ? mapCode(element.map, raw, where) : raw;
    const value = typeof local === 'boolean' ? local : toFhirValue(local, element.type, where);
    if (value === undefined) return undefined;
    filled.add(parentOf(element.path));
    return element.prefix !== undefined ? `${element.prefix}${value}` : value;
  });
  mapping.elements.forEach((element, i) => {
    const value = values[i];
    if (value === undefined) return;
    // A constant beside column values (a code system next to its code) means nothing once they are all null.
    const parent = parentOf(element.path);
    if ('const' in element && parent !== '' && fromColumns.has(parent) && !filled.has(parent)) return;
    setPath(resource, element.path, value);
  });
  fillRequired(category, mapping, resource);
  return resource;
}

/**
 * An element FHIR requires that this row leaves empty (a null column) is still present, with
 * data-absent-reason `unknown`: the record stays valid FHIR and says plainly that the value is missing.
 */
function fillRequired(category: Category, mapping: CategoryMapping, resource: FhirResource): void {
  for (const required of requiredElements(category)) {
    if (Object.keys(resource).some((key) => fills(required, key.replace(/^_/, '')))) continue;
    const name = mapping.elements.map((e) => e.path.split(/[.[]/)[0]!).find((top) => fills(required, top));
    const element = name === undefined ? undefined : structuralElement(category, name);
    if (name === undefined || !element) throw new EhrMappingError(`${category}: the mapping has no ${required.name}`);
    const value = unknownValue();
    if (isPrimitive(element.type)) resource[`_${name}`] = value;
    else resource[name] = mapping.elements.some((e) => e.path.startsWith(`${name}[`)) ? [value] : value;
  }
}

/** FHIR's stand-in for a value the record does not have: the data-absent-reason extension, code `unknown`. */
export function unknownValue(): { extension: { url: string; valueCode: 'unknown' }[] } {
  return { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'unknown' }] };
}

function parentOf(path: string): string {
  const dot = path.lastIndexOf('.');
  return dot < 0 ? '' : path.slice(0, dot);
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
