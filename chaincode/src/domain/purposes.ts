/** HL7 v3 PurposeOfUse codes: coded so that no free text (possible PHI) reaches the ledger. */
export const PURPOSES = [
  'TREAT',
  'ETREAT',
  'HPAYMT',
  'HOPERAT',
  'FAMRQT',
  'PATRQT',
  'PWATRNY',
  'HRESCH',
  'PUBHLTH',
  'CAREMGT',
] as const;
export type Purpose = (typeof PURPOSES)[number];

export function isPurpose(value: unknown): value is Purpose {
  return typeof value === 'string' && (PURPOSES as readonly string[]).includes(value);
}
