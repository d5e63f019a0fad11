/**
 * Record categories and their grantable top-level FHIR elements come from the chaincode's domain,
 * so the gateway's mapping checks and the ledger's grants cannot disagree.
 */
export { CATEGORIES, CATEGORY_FIELDS, fieldsOf, isCategory, type Category } from '@medrec/chaincode/domain';

/** A category this hospital does not serve (or no category at all): the caller answers 4xx. */
export class UnknownCategoryError extends Error {
  readonly code = 'UNKNOWN_CATEGORY';
  constructor(readonly category: string) {
    super(`unknown record category ${JSON.stringify(String(category).slice(0, 64))}`);
    this.name = 'UnknownCategoryError';
  }
}
