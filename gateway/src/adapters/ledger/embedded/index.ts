export { EmbeddedLedger, openEmbeddedLedger, type EmbeddedLedgerOptions } from './ledger.js';
export type { ChannelMember } from './membership.js';
export type { VerifyReport } from './verify.js';
