export { sha256hex, identityId, participantIdFor, relationshipIdFor, commonNameFromClientId } from './ids';
export { CATEGORIES, CATEGORY_FIELDS, fieldsOf, isCategory, isField, type Category } from './categories';
export { PURPOSES, isPurpose, type Purpose } from './purposes';
export { ERROR_CODES, ERROR_CODE_PATTERN, MedrecError, errorCodeOf, existingRelationshipOf, isDelegateRequired, type ErrorCode } from './errors';
export { checkAccess, grantIsLive, type AccessQuery } from './access';
export {
  certCaller,
  decideAccess,
  getPointer,
  loadRelationship,
  registeredCaller,
  type AccessQuestion,
  type Caller,
  type CertCaller,
  type CertificateClaims,
  type StateReader,
} from './decision';
export { ACCESS_OBJECT_TYPES, OBJECT_TYPES, isAccessKey, keyAttributes, keys } from './keys';
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
export { REGISTRAR_MAY_ENROL, isPatientOf, isProviderOf, mayAskAccess, mayOpenRelationship, patientRefusal, seesWholeRelationship, type Party, type PatientParty } from './authorisation';
export * from './research-types';
export * from './research-vocabulary';
export {
  ageReference,
  assignSteward,
  charge,
  collectRefusal,
  consentCovers,
  emptyBudget,
  milli,
  queryCategories,
  queryIdFor,
} from './research';
export {
  parseBountyJson,
  parseConsentBatch,
  parseConsentJson,
  parseStudyJson,
  requireEpsilon,
  requireQuerySpec,
  type ConsentItem,
} from './research-validation';
