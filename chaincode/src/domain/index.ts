export { sha256hex, identityId, participantIdFor, relationshipIdFor, commonNameFromClientId } from './ids';
export { CATEGORIES, CATEGORY_FIELDS, fieldsOf, isCategory, isField, type Category } from './categories';
export { PURPOSES, isPurpose, type Purpose } from './purposes';
export { ERROR_CODES, ERROR_CODE_PATTERN, MedrecError, errorCodeOf, existingRelationshipOf, type ErrorCode } from './errors';
export { checkAccess, grantIsLive, type AccessQuery } from './access';
export { nextStatus, patientMayRead, viewerMayRead } from './status';
export {
  LIMITS,
  latestValidUntil,
  parseFieldsJson,
  parseGrantJson,
  requireEndpoint,
  requireEnrollmentId,
  requireHex64,
  requireIsoDate,
} from './validation';
export * from './types';
export { TRANSACTIONS, rolesFor, type ContractName, type TransactionName, type TransactionSpec } from './transactions';
export { REGISTRAR_MAY_ENROL, isPatientOf, isProviderOf, mayAskAccess, mayOpenRelationship, seesWholeRelationship, type Party } from './authorisation';
