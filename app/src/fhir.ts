/** A one-line reading of a FHIR resource for the records list: what, value, when. */
type R = Record<string, unknown>;
const concept = (c: unknown): string | undefined => {
  const cc = c as { text?: string; coding?: { display?: string; code?: string }[] } | undefined;
  return cc?.text ?? cc?.coding?.[0]?.display ?? cc?.coding?.[0]?.code;
};

export function describe(resource: R): { what: string; value?: string; when?: string } {
  const name = (resource['name'] as { text?: string; given?: string[]; family?: string }[] | undefined)?.[0];
  const what =
    concept(resource['code']) ??
    concept(resource['vaccineCode']) ??
    concept(resource['medicationCodeableConcept']) ??
    concept((resource['type'] as unknown[] | undefined)?.[0]) ??
    (name ? (name.text ?? [...(name.given ?? []), name.family].filter(Boolean).join(' ')) : undefined) ??
    String(resource['resourceType']);
  const q = resource['valueQuantity'] as { value?: number; unit?: string } | undefined;
  const value = q ? `${q.value ?? ''} ${q.unit ?? ''}`.trim() : (resource['valueString'] as string | undefined) ?? concept(resource['valueCodeableConcept']) ?? concept(resource['clinicalStatus']) ?? (resource['status'] as string | undefined);
  const period = resource['period'] as { start?: string } | undefined;
  const when = (['effectiveDateTime', 'onsetDateTime', 'occurrenceDateTime', 'authoredOn', 'recordedDate', 'birthDate', 'issued'] as const)
    .map((k) => resource[k] as string | undefined)
    .find(Boolean) ?? period?.start;
  return { what, ...(value ? { value } : {}), ...(when ? { when: when.slice(0, 10) } : {}) };
}

export const CATEGORY_NAMES: Record<string, string> = {
  Patient: 'About me',
  Observation: 'Lab results and measurements',
  Condition: 'Conditions',
  MedicationRequest: 'Medications',
  AllergyIntolerance: 'Allergies',
  Immunization: 'Immunizations',
  Encounter: 'Visits',
};
export const categoryName = (c: string) => CATEGORY_NAMES[c] ?? c;
