/**
 * Offline audit of a ledger's files: recompute every block's data hash and header hash chain, check
 * each transaction's creator signature, replay the valid transactions' writes, and compare the result
 * with the stored state, history and transaction index. Any edit of the SQLite file shows up here.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { checkLink } from './block.js';
import type { ChannelMember, LedgerVerifyReport } from '../../../ports/ledger.js';
import { decodeSignedProposal } from './proposal.js';
import { configTxId, decodeBlockData, sameVersion, type TransactionRecord, type Version } from './records.js';
import { verifyLowS } from '../../../pki/ecdsa.js';
import { LedgerStore } from './store.js';

export type VerifyReport = LedgerVerifyReport;

const digest = (data: Uint8Array | string) => createHash('sha256').update(data).digest('base64');
const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

function historyLine(h: { key: string; version: Version; txId: string; timestamp: number; isDelete: boolean; value: Uint8Array | null }): string {
  return JSON.stringify([h.key, h.version.block, h.version.txNum, h.txId, h.timestamp, h.isDelete, h.value ? digest(h.value) : null]);
}

function signedByMember(members: ChannelMember[], mspId: string, certificate: string): X509Certificate | undefined {
  const member = members.find((m) => m.mspId === mspId);
  if (!member) return undefined;
  const cert = new X509Certificate(certificate);
  const issued = member.caCertificates.some((pem) => {
    const ca = new X509Certificate(pem);
    return cert.checkIssued(ca) && cert.verify(ca.publicKey);
  });
  return issued ? cert : undefined;
}

/**
 * An edited file is what this check is for: a part the edit made unreadable (a column that no
 * longer parses) is a finding, and the other parts are still checked.
 */
function readable(problems: string[], part: string, check: () => void): void {
  try {
    check();
  } catch (err) {
    problems.push(`${part}: unreadable (${(err as Error).message})`);
  }
}

export function verifyLedger(store: LedgerStore): VerifyReport {
  const problems: string[] = [];
  const state = new Map<string, { version: Version; value: string; metadata: string | null }>();
  const history = createHash('sha256');
  const index: string[] = [];
  let members: ChannelMember[] = [];
  let previous: Buffer = Buffer.alloc(0);
  let height = 0;

  readable(problems, 'blocks', () => {
    for (const block of store.allBlocks()) {
      const n = block.number;
      let transactions: Buffer[] = [];
      try {
        transactions = decodeBlockData(block.data);
      } catch {
        problems.push(`block ${n}: its data does not decode into transactions`);
      }
      const header = { number: BigInt(n), previousHash: block.previousHash, dataHash: block.dataHash };
      const hash = checkLink(header, transactions, { number: BigInt(height), previousHash: previous }, problems);
      height = n + 1;
      if (!hash.equals(block.headerHash)) problems.push(`block ${n}: header hash does not match its header`);
      previous = block.headerHash;
      if (block.validation.length !== transactions.length) problems.push(`block ${n}: validation codes do not match`);

      const replay = (bytes: Buffer, txNum: number, where: string): void => {
        const code = block.validation[txNum];
        const record = JSON.parse(bytes.toString()) as TransactionRecord;
        if (record.type === 'config') {
          members = record.members;
          index.push(JSON.stringify([configTxId(n, bytes), n, txNum, code, '', null, null]));
          return;
        }
        const proposal = decodeSignedProposal(Buffer.from(record.signedProposal, 'base64'));
        const cert = signedByMember(members, proposal.mspId, proposal.certificate);
        if (!cert) problems.push(`${where}: creator not issued by a CA of ${proposal.mspId}`);
        else if (!verifyLowS(proposal.proposalBytes, proposal.signature, cert.publicKey)) {
          problems.push(`${where}: creator signature does not verify`);
        } else if (record.envelope && !verifyLowS(Buffer.from(record.envelope.payload, 'base64'), Buffer.from(record.envelope.signature, 'base64'), cert.publicKey)) {
          problems.push(`${where}: creator's envelope signature does not verify`);
        }
        const stale = record.rwset.reads.some(([key, version]) => !sameVersion(state.get(key)?.version ?? null, version));
        if (code === 'VALID' && stale) problems.push(`${where}: marked VALID but its reads are stale`);
        if (code === 'MVCC_READ_CONFLICT' && !stale) problems.push(`${where}: marked MVCC_READ_CONFLICT but its reads are current`);
        if (code !== 'DUPLICATE_TXID') {
          const event = code === 'VALID' && record.event ? [record.event.name, digest(Buffer.from(record.event.payload, 'base64'))] : null;
          index.push(JSON.stringify([proposal.txId, n, txNum, code, proposal.mspId, proposal.timestamp.getTime(), event]));
        }
        if (code !== 'VALID') return;
        const version = { block: n, txNum };
        const metadataWrites = new Map(record.rwset.metadataWrites);
        const changed: { key: string; value: Buffer | null }[] = [];
        for (const [key, b64] of record.rwset.writes) {
          const value = b64 === null ? null : Buffer.from(b64, 'base64');
          if (value === null) state.delete(key);
          else {
            const metadata = metadataWrites.get(key) ?? (state.get(key)?.metadata ? JSON.parse(state.get(key)!.metadata!) : undefined);
            state.set(key, { version, value: digest(value), metadata: metadata ? JSON.stringify(metadata) : null });
          }
          metadataWrites.delete(key);
          changed.push({ key, value });
        }
        for (const [key, metadata] of metadataWrites) {
          const existing = state.get(key);
          if (existing) state.set(key, { ...existing, version, metadata: JSON.stringify(metadata) });
        }
        changed.sort((a, b) => byteOrder(a.key, b.key));
        for (const { key, value } of changed) {
          history.update(
            historyLine({ key, version, txId: proposal.txId, timestamp: proposal.timestamp.getTime(), isDelete: value === null, value }) + '\n',
          );
        }
      };
      transactions.forEach((bytes, txNum) => {
        const where = `block ${n} tx ${txNum}`;
        // An edited file is what this check is for: whatever an edit breaks (a certificate, an
        // encoding, a field's type) is a finding about that transaction, and the replay goes on.
        try {
          replay(bytes, txNum, where);
        } catch (err) {
          problems.push(`${where}: unreadable transaction (${(err as Error).message})`);
        }
      });
    }
  });

  readable(problems, 'state', () => {
    let stateRows = 0;
    for (const row of store.allState()) {
      stateRows++;
      const expected = state.get(row.key);
      const metadata = row.metadata ? JSON.stringify(row.metadata) : null;
      if (!expected || !sameVersion(expected.version, row.version) || expected.value !== digest(row.value) || expected.metadata !== metadata) {
        problems.push(`state: key ${JSON.stringify(row.key)} differs from the replayed blocks`);
      }
    }
    if (stateRows !== state.size) problems.push(`state: ${stateRows} keys stored, ${state.size} in the replayed blocks`);
  });

  readable(problems, 'history', () => {
    const storedHistory = createHash('sha256');
    for (const row of store.allHistory()) storedHistory.update(historyLine(row) + '\n');
    if (!storedHistory.digest().equals(history.digest())) problems.push('history: differs from the replayed blocks');
  });

  readable(problems, 'transaction index', () => {
    let i = 0;
    for (const row of store.allTransactions()) {
      const event = row.eventName !== null ? [row.eventName, digest(row.eventPayload ?? Buffer.alloc(0))] : null;
      const line = JSON.stringify([row.txId, row.block, row.txNum, row.validationCode, row.creatorMspId, row.creatorMspId ? row.timestamp : null, event]);
      if (line !== index[i++]) problems.push(`transaction index: ${row.txId} differs from block ${row.block}`);
    }
    if (i !== index.length) problems.push(`transaction index: ${i} rows stored, ${index.length} in the blocks`);
  });

  return { ok: problems.length === 0, height, problems, checked: 'file' };
}

/** Verifies a ledger file offline (an auditor's copy, or a stopped gateway's): opened read only, nothing written. */
export function verifyLedgerFile(file: string): VerifyReport {
  const store = new LedgerStore(file, { readOnly: true });
  try {
    return verifyLedger(store);
  } finally {
    store.close();
  }
}
