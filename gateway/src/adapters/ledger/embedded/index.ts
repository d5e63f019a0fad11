export { EmbeddedLedger, openEmbeddedLedger, type EmbeddedLedgerOptions } from './ledger.js';
export type { ChannelMember } from '../../../ports/ledger.js';
export type { VerifyReport } from './verify.js';
export { verifyLedgerFile } from './verify.js';
