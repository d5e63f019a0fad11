/**
 * The typed client against what the chaincode itself serves (org.hyperledger.fabric:GetMetadata,
 * from the real chaincode in the embedded ledger): the same transactions, the same parameters in
 * the same order, submitted exactly when the chaincode says it changes state.
 */
import '../../src/system/quiet-chaincode.js';
import t from 'tap';
import { contracts } from '@medrec/chaincode';
import { TRANSACTIONS, type TransactionName } from '@medrec/chaincode/domain';
import { MEDREC } from '../../src/contract/medrec.js';
import { request, type TransactionRequest } from '../../src/contract/request.js';
import { openChannel, openOrg, tempDir } from '../ledger/support.js';

interface Metadata {
  contracts: Record<string, { transactions: { name: string; tag: string[]; parameters?: { name: string }[] }[] }>;
}

const dir = tempDir(t);
const org = await openOrg(dir, 'Hospital1MSP', 'Hospital 1');
const ledger = await openChannel(dir, [org], contracts);
t.teardown(async () => {
  await ledger.close();
  org.ca.close();
});
const anyone = await org.enroll('reader', 'viewer');
const served = JSON.parse(
  Buffer.from(await ledger.evaluate(anyone, 'org.hyperledger.fabric', 'GetMetadata', [])).toString('utf8'),
) as Metadata;

/** Every builder of the client, called with placeholder arguments of the right arity. */
function clientRequests(): TransactionRequest<unknown>[] {
  const out: TransactionRequest<unknown>[] = [];
  for (const builders of Object.values(MEDREC)) {
    for (const build of Object.values(builders) as ((...args: unknown[]) => TransactionRequest<unknown>)[]) {
      const placeholders = Array.from({ length: build.length }, () => (build.length === 1 ? [] : 'x'));
      out.push(build(...placeholders));
    }
  }
  return out;
}

t.test('the client names exactly the transactions the chaincode serves', async (t) => {
  const servedNames = Object.entries(served.contracts)
    .filter(([name]) => name !== 'org.hyperledger.fabric')
    .flatMap(([contract, c]) => c.transactions.map((tx) => `${contract}.${tx.name}`))
    .sort();
  t.same(clientRequests().map((r) => r.name).sort(), servedNames);
  t.same(Object.keys(TRANSACTIONS).sort(), servedNames, "and so does the domain's transaction table");
});

t.test('each request carries the served parameters, in order, and is submitted iff the chaincode commits it', async (t) => {
  for (const req of clientRequests()) {
    const tx = served.contracts[req.contract]!.transactions.find((x) => x.name === req.transaction)!;
    const params = (tx.parameters ?? []).map((p) => p.name);
    t.equal(req.args.length, params.length, `${req.name}: ${params.length} arguments`);
    t.same([...TRANSACTIONS[req.name].params], params, `${req.name}: parameter names and order`);
    t.equal(req.kind === 'submit', tx.tag.includes('SUBMIT'), `${req.name} is ${req.kind === 'submit' ? 'submitted' : 'evaluated'}`);
  }
});

t.test('a request with the wrong number of arguments is refused before it reaches a ledger', async (t) => {
  t.throws(() => request('Relationship.get' as TransactionName, []), /takes 1 arguments/);
  t.throws(() => request('Summary.mine' as TransactionName, ['extra']), /takes 0 arguments/);
});
