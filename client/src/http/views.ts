/** The ledger views the gateway's read routes return (chaincode domain types, as far as the device reads them). */
export interface SummaryEntry {
  relationshipId: string;
  role: string;
  status: string;
  providerMspId: string;
  [more: string]: unknown;
}

export interface RelationshipView {
  relationshipId: string;
  status: string;
  endpoint: string;
  pointers?: { category: string; hash: string; version: number; updatedAt?: string }[];
  [more: string]: unknown;
}
