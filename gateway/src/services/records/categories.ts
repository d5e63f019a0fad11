/**
 * Record categories and their grantable top-level FHIR elements come from the chaincode's domain,
 * so the gateway's mapping checks and the ledger's grants cannot disagree.
 */
export { CATEGORIES, CATEGORY_FIELDS, fieldsOf, isCategory, type Category } from '@medrec/chaincode/domain';

export { UnknownCategoryError } from '../../ports/ehr.js';
