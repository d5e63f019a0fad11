/** Stable error codes; the gateway maps them to HTTP statuses, so they never change meaning. */
export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'FORBIDDEN',
  'CONFLICT',
  'EXPIRED',
  'LIMIT_EXCEEDED',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** How a caller finds the code inside a Fabric error message (which may carry a prefix). */
export const ERROR_CODE_PATTERN = /\b(INVALID_ARGUMENT|NOT_FOUND|FORBIDDEN|CONFLICT|EXPIRED|LIMIT_EXCEEDED): /;

export class MedrecError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, text: string) {
    super(`${code}: ${text}`);
    this.name = 'MedrecError';
    this.code = code;
  }
}

export function errorCodeOf(message: string): ErrorCode | undefined {
  const m = ERROR_CODE_PATTERN.exec(message);
  return m ? (m[1] as ErrorCode) : undefined;
}

export const invalid = (text: string): MedrecError => new MedrecError('INVALID_ARGUMENT', text);
export const notFound = (text: string): MedrecError => new MedrecError('NOT_FOUND', text);
export const forbidden = (text: string): MedrecError => new MedrecError('FORBIDDEN', text);
export const conflict = (text: string): MedrecError => new MedrecError('CONFLICT', text);

/** The refusal of a second relationship for a patient at a hospital names the one that exists. */
export function relationshipExists(relationshipId: string): MedrecError {
  return conflict(`the patient already has a relationship with this hospital: ${relationshipId}`);
}

/** The existing relationship's id in a relationshipExists refusal (as any ledger client reports it). */
export function existingRelationshipOf(message: string): string | undefined {
  return /already has a relationship with this hospital: ([0-9a-f]{64})/.exec(message)?.[1];
}

/** The refusal of a patient registered at another hospital (patientRefusal): stable, for every ledger client to find. */
export const DELEGATE_REQUIRED = 'a patient registered at another hospital is treated here under a delegate';

/** Whether a ledger refusal is DELEGATE_REQUIRED (as any ledger client reports it). */
export function isDelegateRequired(message: string): boolean {
  return message.includes(DELEGATE_REQUIRED);
}
