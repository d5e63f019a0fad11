/**
 * A custodial delegate whose redemption's answer was lost (docs/privacy.md §3): the outcome is
 * reported as unknown (503 DELEGATE_OUTCOME_UNKNOWN), the key is kept sealed, and the next list (or
 * the same request again) asks the providing hospital with that key: certified → the delegate is
 * hers; no certificate for it → the row goes; still no answer → still pending. The providing
 * gateway is a scripted stand-in here (a lost answer cannot be produced on demand over real HTTP);
 * the service, its database and the vault are real. The whole flow over two real gateways is
 * custodial.test.ts.
 */
import { generateKeyPairSync } from 'node:crypto';
import Database from 'better-sqlite3';
import t from 'tap';
import type { MedrecClient } from '../../src/contract/client.js';
import { PeerRefusal, PeerUnreachable, type DelegateEnrolment, type PeerGateway } from '../../src/ports/peers.js';
import { vaultSealer } from '../../src/services/accounts/sealer.js';
import { CustodialDelegates } from '../../src/services/custodial/delegates.js';
import { Problem } from '../../src/services/problem.js';

const pem = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const home = { mspId: 'Hospital1MSP', certificate: 'home-certificate', privateKey: pem() };
const CODE = 'AAAAA-BBBBB-CCCCC-DDDDD';
const OTHER = 'EEEEE-FFFFF-GGGGG-HHHHH';

type Script = { redeem: () => Promise<DelegateEnrolment>; recover: () => Promise<DelegateEnrolment> };
const enrolment = (enrollmentId: string): DelegateEnrolment => ({
  mspId: 'Hospital2MSP',
  enrollmentId,
  participantId: `pid-${enrollmentId}`,
  identityId: `iid-${enrollmentId}`,
  certificate: 'delegate-certificate',
  ledger: { channel: 'medrec', chaincode: 'medrec' },
});

function setup() {
  const db = new Database(':memory:');
  const calls: string[] = [];
  let script: Script = { redeem: async () => enrolment('e1'), recover: async () => enrolment('e1') };
  let n = 0;
  const peer: PeerGateway = {
    inspect: async (code) => {
      calls.push('inspect');
      return { mspId: 'Hospital2MSP', kind: 'delegate', role: 'patient', enrollmentId: `e${code === CODE.replace(/-/g, '') ? 1 : 2 + n++}` };
    },
    redeem: async () => {
      calls.push('redeem');
      return script.redeem();
    },
    recover: async () => {
      calls.push('recover');
      return script.recover();
    },
    ledger: () => ({
      evaluate: async () => new TextEncoder().encode('[]'),
      submit: async () => {
        throw new Error('not used');
      },
      checkAccess: async () => {
        throw new Error('not used');
      },
    }),
  };
  const client = { evaluate: async () => [{ mspId: 'Hospital2MSP', endpoint: 'https://h2.example/gatekeeper' }] } as unknown as MedrecClient;
  const custodial = new CustodialDelegates({ mspId: 'Hospital1MSP', db, sealer: vaultSealer({ N: 1024, r: 8, p: 1 }), client, peers: () => peer });
  const rows = () => db.prepare('SELECT state, enrollment_id, sealed_key FROM custodial_delegates').all() as { state: string; enrollment_id: string; sealed_key: string }[];
  return { custodial, calls, rows, script: (s: Partial<Script>) => (script = { ...script, ...s }) };
}
const lost = async (): Promise<DelegateEnrolment> => {
  throw new PeerUnreachable('Hospital2MSP', 'no answer');
};

t.test('a lost answer is unknown, kept, and settled by the next list', async (t) => {
  const { custodial, rows, script, calls } = setup();
  script({ redeem: lost, recover: lost });
  const err = await custodial.enrol('paula', home, 'Hospital2MSP', CODE).catch((e: unknown) => e);
  t.ok(err instanceof Problem);
  t.match(err, { status: 503, code: 'DELEGATE_OUTCOME_UNKNOWN', extensions: { statusUrl: '/me/delegates' } });
  t.match(rows(), [{ state: 'pending', enrollment_id: 'e1' }], 'the key is kept to ask with');
  t.notOk(rows()[0]!.sealed_key.includes('PRIVATE KEY'), 'sealed');
  t.match(await custodial.list('paula', home), [{ state: 'pending', hospital: 'Hospital2MSP', participantId: null }], 'still no answer: still pending');
  t.match(await custodial.enrol('paula', home, 'Hospital2MSP', CODE).catch((e: unknown) => e), { code: 'DELEGATE_OUTCOME_UNKNOWN' }, 'the same code again: still unknown, no second key');
  t.equal(rows().length, 1);

  script({ recover: async () => enrolment('e1') });
  t.match(await custodial.list('paula', home), [{ state: 'certified', participantId: 'pid-e1', relationships: [] }], 'the hospital had certified it');
  calls.length = 0;
  const again = await custodial.enrol('paula', home, 'Hospital2MSP', CODE);
  t.match(again, { created: false, delegate: { participantId: 'pid-e1' } });
  t.same(calls, [], 'a retry of a redeemed code asks nothing of the hospital');
});

t.test('a lost answer for a code that was never redeemed: the row goes', async (t) => {
  const { custodial, rows, script } = setup();
  script({ redeem: lost });
  await custodial.enrol('paula', home, 'Hospital2MSP', OTHER).catch(() => undefined);
  t.equal(rows().length, 1);
  script({ recover: async () => Promise.reject(new PeerRefusal(404, 'UNKNOWN_KEY', 'no certificate for this key')) });
  t.same(await custodial.list('paula', home), []);
  t.same(rows(), [], 'nothing left stored');
});

t.test('a refused redemption stores nothing; a refused inspect never makes a key', async (t) => {
  const { custodial, rows, script, calls } = setup();
  script({ redeem: async () => Promise.reject(new PeerRefusal(409, 'ACTIVATION_USED', 'used')) });
  t.match(await custodial.enrol('paula', home, 'Hospital2MSP', CODE).catch((e: unknown) => e), { status: 409, code: 'ACTIVATION_USED' });
  t.same(rows(), []);
  t.same(calls, ['inspect', 'redeem']);
});

t.test("another account's session cannot open her delegates' keys", async (t) => {
  const { custodial } = setup();
  await custodial.enrol('paula', home, 'Hospital2MSP', CODE);
  const stranger = { ...home, privateKey: pem() };
  await t.rejects(custodial.summary('paula', stranger), 'the vault secret is derived from her own home key');
});
