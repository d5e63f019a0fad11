/**
 * OfflineTransactions on its own (unit): every refusal and outcome of the /tx/* steps, against a
 * scripted ledger whose endorse/submit/evaluate fail as a real ledger can. The end-to-end flow over
 * HTTP on the real embedded ledger is test/http/device.test.ts.
 */
import { createHash, randomBytes } from 'node:crypto';
import t from 'tap';
import { signLowS } from '../../src/pki/ecdsa.js';
import {
  ChaincodeError,
  LedgerUnavailableError,
  TransactionOutcomeUnknownError,
  type LedgerPort,
  type OfflineProposal,
  type OfflineTransaction,
  type Signer,
} from '../../src/ports/ledger.js';
import { OfflineTransactions } from '../../src/services/transactions/offline.js';
import { testCa } from '../support/test-ca.js';
import { problemOf } from '../support/problem.js';

type Outcome = 'ok' | 'unavailable' | 'refused' | 'unknown';

/** A ledger whose next endorse/submit answers as told; counts what reached it. */
function scriptedLedger() {
  const script = { endorse: 'ok' as Outcome, submit: 'ok' as Outcome, proposed: 0, submitted: 0, view: '' };
  const fail = (outcome: Outcome, txId: string) => {
    if (outcome === 'unavailable') throw new LedgerUnavailableError('no peer answered');
    if (outcome === 'unknown') throw new TransactionOutcomeUnknownError(txId, 'the commit status stream broke');
    if (outcome === 'refused') throw new ChaincodeError('FORBIDDEN' as never, 'the chaincode said no');
  };
  const ledger = {
    async propose(_creator: unknown, contract: string, transaction: string): Promise<OfflineProposal> {
      script.proposed++;
      const txId = randomBytes(32).toString('hex');
      const message = Buffer.from(`${contract}:${transaction}:${txId}`);
      return {
        txId,
        bytes: message,
        message,
        digest: createHash('sha256').update(message).digest(),
        async endorse(): Promise<OfflineTransaction> {
          fail(script.endorse, txId);
          const envelope = Buffer.from(`envelope:${txId}`);
          return {
            txId,
            bytes: envelope,
            message: envelope,
            digest: createHash('sha256').update(envelope).digest(),
            result: new Uint8Array(),
            async submit() {
              fail(script.submit, txId);
              script.submitted++;
              return { txId, blockNumber: 7n, result: new Uint8Array() };
            },
          };
        },
        async evaluate() {
          return Buffer.from(script.view);
        },
      };
    },
  };
  return { ledger: ledger as unknown as LedgerPort, script };
}

const sign = (signer: Signer, message: Uint8Array) => signLowS(message, signer.privateKey);
const envelopeOf = (transaction: string) => Buffer.from(transaction, 'base64');


t.test('OfflineTransactions: outcomes and refusals of each step', async (t) => {
  const ca = await testCa('Hospital1MSP');
  const alice = await ca.issue('alice', 'patient');
  const mallory = await ca.issue('mallory', 'patient');
  let clock = 1_000_000;
  const { ledger, script } = scriptedLedger();
  const offline = new OfflineTransactions(ledger, { ttlMs: 60_000, maxPerOwner: 2, now: () => clock });
  const messageOf = (proposal: string) => Buffer.from(proposal, 'base64');

  t.test('a transaction a device may not run is refused before the ledger sees it', async (t) => {
    const before = script.proposed;
    t.same(await problemOf(offline.prepare('s1', alice, 'Registrar', 'register', ['x'])), { status: 400, code: 'TX_NOT_ALLOWED' });
    t.equal(script.proposed, before, 'nothing was proposed');
  });

  t.test('TX_TOO_MANY: a session holds at most maxPerOwner pending transactions', async (t) => {
    const a = await offline.prepare('busy', alice, 'Relationship', 'grant', ['r', 'v', 'Medication']);
    await offline.prepare('busy', alice, 'Relationship', 'revoke', ['r', 'v']);
    const proposed = script.proposed;
    t.same(await problemOf(offline.prepare('busy', alice, 'Relationship', 'accept', ['r'])), { status: 429, code: 'TX_TOO_MANY' });
    t.equal(script.proposed, proposed, 'the refused one never reached the ledger');
    await t.resolves(offline.prepare('other', alice, 'Relationship', 'accept', ['r']), 'the limit is per session');
    await offline.endorse('busy', a.txId, sign(alice, messageOf(a.proposal)));
    t.same(await problemOf(offline.prepare('busy', alice, 'Relationship', 'accept', ['r'])), { status: 429, code: 'TX_TOO_MANY' }, 'an endorsed one still counts');
    clock += 60_001;
    await t.resolves(offline.prepare('busy', alice, 'Relationship', 'accept', ['r']), 'expired ones are swept and free their places');
    t.same(await problemOf(offline.endorse('busy', a.txId, sign(alice, messageOf(a.proposal)))), { status: 404, code: 'TX_UNKNOWN' }, 'an expired one is gone');
  });

  t.test('UNKNOWN: an envelope ordered whose outcome was lost is reported unknown, not failed', async (t) => {
    const p = await offline.prepare('s2', alice, 'Relationship', 'accept', ['r']);
    const endorsed = await offline.endorse('s2', p.txId, sign(alice, messageOf(p.proposal)));
    script.submit = 'unknown';
    const outcome = await offline.submit('s2', p.txId, sign(alice, envelopeOf(endorsed.transaction)));
    script.submit = 'ok';
    t.same(outcome, { txId: p.txId, status: 'UNKNOWN' });
    t.same(await problemOf(offline.submit('s2', p.txId, sign(alice, envelopeOf(endorsed.transaction)))), { status: 404, code: 'TX_UNKNOWN' }, 'it cannot be sent twice');
  });

  t.test('a ledger unreachable when ordering is passed on (not UNKNOWN: nothing was ordered)', async (t) => {
    const p = await offline.prepare('s3', alice, 'Relationship', 'accept', ['r']);
    const endorsed = await offline.endorse('s3', p.txId, sign(alice, messageOf(p.proposal)));
    script.submit = 'unavailable';
    await t.rejects(offline.submit('s3', p.txId, sign(alice, envelopeOf(endorsed.transaction))), LedgerUnavailableError);
    script.submit = 'ok';
    t.same(
      await problemOf(offline.submit('s3', p.txId, sign(alice, envelopeOf(endorsed.transaction)))),
      { status: 404, code: 'TX_UNKNOWN' },
      'the envelope is not kept for a blind resend: the device prepares again',
    );
  });

  t.test('endorsement: an unreachable ledger leaves the step to retry; a chaincode refusal ends the transaction', async (t) => {
    const p = await offline.prepare('s4', alice, 'Relationship', 'accept', ['r']);
    const signature = sign(alice, messageOf(p.proposal));
    script.endorse = 'unavailable';
    await t.rejects(offline.endorse('s4', p.txId, signature), LedgerUnavailableError);
    script.endorse = 'ok';
    const endorsed = await offline.endorse('s4', p.txId, signature);
    t.ok(endorsed.digest, 'the retry is endorsed');
    t.same(await offline.submit('s4', p.txId, sign(alice, envelopeOf(endorsed.transaction))), { txId: p.txId, status: 'VALID', blockNumber: '7' });

    const q = await offline.prepare('s4', alice, 'Relationship', 'accept', ['r']);
    script.endorse = 'refused';
    await t.rejects(offline.endorse('s4', q.txId, sign(alice, messageOf(q.proposal))), ChaincodeError);
    script.endorse = 'ok';
    t.same(await problemOf(offline.endorse('s4', q.txId, sign(alice, messageOf(q.proposal)))), { status: 404, code: 'TX_UNKNOWN' }, 'a refused proposal is gone');
  });

  t.test('steps out of order, another session, another key', async (t) => {
    const p = await offline.prepare('s5', alice, 'Relationship', 'grant', ['r', 'v', 'Medication']);
    const good = sign(alice, messageOf(p.proposal));
    t.same(await problemOf(offline.submit('s5', p.txId, good)), { status: 409, code: 'TX_STEP' }, 'submit before endorse');
    t.same(await problemOf(offline.endorse('intruder', p.txId, good)), { status: 404, code: 'TX_UNKNOWN' }, "another session's transaction");
    t.same(await problemOf(offline.endorse('s5', p.txId, sign(mallory, messageOf(p.proposal)))), { status: 403, code: 'SIGNATURE_INVALID' }, 'signed by another key');
    t.same(await problemOf(offline.endorse('s5', p.txId, new Uint8Array(64))), { status: 400, code: 'SIGNATURE_MALFORMED' });
    t.same(await problemOf(offline.evaluate('s5', randomBytes(32).toString('hex'), good)), { status: 404, code: 'TX_UNKNOWN' }, 'a txId never prepared');
    await t.resolves(offline.endorse('s5', p.txId, good), 'refused signatures left the step open for the right one');
  });

  t.test('a read cannot be endorsed; evaluated, a Relationship.get remembers the endpoint for the relay', async (t) => {
    const p = await offline.prepare('s6', alice, 'Relationship', 'get', ['rel-1']);
    const good = sign(alice, messageOf(p.proposal));
    t.same(await problemOf(offline.endorse('s6', p.txId, good)), { status: 409, code: 'TX_STEP' });
    script.view = JSON.stringify({ relationshipId: 'rel-1', endpoint: 'https://h2.example:8443' });
    await offline.evaluate('s6', p.txId, good);
    t.equal(offline.endpointSeen('s6', 'rel-1'), 'https://h2.example:8443');
    t.equal(offline.endpointSeen('s7', 'rel-1'), undefined, 'only for the session that read it');
    clock += 60_001;
    t.equal(offline.endpointSeen('s6', 'rel-1'), undefined, 'and only while fresh');
  });
});
