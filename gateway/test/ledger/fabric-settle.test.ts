/**
 * The Fabric adapter's ordering loop (adapters/ledger/fabric/settle.ts) through fake sends and status
 * reads: which sends are resends and why (refused / late_status), on which peer, and that a first
 * refusal that is not "unavailable" is the answer without a resend. The loop's own waits are real
 * (a second between rounds), so each case takes about as long as its rounds.
 */
import type { Status } from '@hyperledger/fabric-gateway';
import t from 'tap';
import { settle, type SettleCalls } from '../../src/adapters/ledger/fabric/settle.js';
import { ChaincodeError, LedgerUnavailableError, TransactionOutcomeUnknownError, type LedgerResend } from '../../src/ports/ledger.js';

const committed = { successful: true, code: 0, blockNumber: 7n, transactionId: 'tx1' } as unknown as Status;
const TIMEOUTS = { submit: 1_000, commitStatus: 3_000 };
const unavailable = () => new LedgerUnavailableError('no leader');

/** Scripted peers: each send and each status read takes the next answer of its list (an Error is thrown). */
function scripted(sends: (Error | undefined)[], statuses: (Error | Status)[]) {
  const resends: LedgerResend[] = [];
  const sentTo: string[] = [];
  const calls: SettleCalls<string> = {
    peers: ['peer0:7051', 'peer1:7051'],
    name: (peer) => peer,
    send: async (peer) => {
      sentTo.push(peer);
      const answer = sends.shift();
      if (answer) throw answer;
    },
    status: async () => {
      const answer = statuses.shift() ?? unavailable();
      if (answer instanceof Error) throw answer;
      return answer;
    },
    onResend: (resend) => resends.push(resend),
    closed: () => false,
  };
  return { calls, resends, sentTo };
}

t.test('sent and committed at once: no resend', async (t) => {
  const { calls, resends, sentTo } = scripted([undefined], [committed]);
  t.equal(await settle('tx1', calls, TIMEOUTS), committed);
  t.same(resends, []);
  t.same(sentTo, ['peer0:7051']);
});

t.test('ordering refuses the first send: resent through the next peer, counted as refused', async (t) => {
  const { calls, resends, sentTo } = scripted([unavailable(), undefined], [committed]);
  t.equal(await settle('tx1', calls, TIMEOUTS), committed);
  t.same(resends, [{ txId: 'tx1', peer: 'peer1:7051', reason: 'refused' }]);
  t.same(sentTo, ['peer0:7051', 'peer1:7051']);
});

t.test('sent, but its status does not come: resent, counted as late_status', async (t) => {
  const { calls, resends, sentTo } = scripted([undefined, undefined], [unavailable(), committed]);
  t.equal(await settle('tx1', calls, TIMEOUTS), committed);
  t.same(resends, [{ txId: 'tx1', peer: 'peer1:7051', reason: 'late_status' }]);
  t.same(sentTo, ['peer0:7051', 'peer1:7051']);
});

t.test('a first refusal that is not "unavailable" is the answer: nothing resent', async (t) => {
  const refusal = new ChaincodeError('FORBIDDEN', 'no');
  const { calls, resends } = scripted([refusal], []);
  await t.rejects(settle('tx1', calls, TIMEOUTS), refusal);
  t.same(resends, []);
});

t.test('no status within the commit wait: outcome unknown, every send after the first a resend', async (t) => {
  const { calls, resends, sentTo } = scripted([], []);
  await t.rejects(settle('tx1', calls, TIMEOUTS), TransactionOutcomeUnknownError);
  t.ok(sentTo.length >= 2, `${sentTo.length} sends`);
  t.equal(resends.length, sentTo.length - 1);
  t.ok(resends.every((r) => r.reason === 'late_status' && r.txId === 'tx1'));
});
