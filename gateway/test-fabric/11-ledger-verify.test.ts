/**
 * The auditor's ledger check on Fabric (npm run audit -- verify → /auditor/ledger/verify): every
 * block of the channel read through the peer's qscc, each link of the hash chain checked as a peer
 * checks it — block numbers in order, data hash over the block's envelopes, previous hash against the
 * header hash of the block before (ASN.1 DER, as protoutil computes it).
 */
import t from 'tap';
import { hospital, loadNetwork, openLedger } from './network.js';

t.setTimeout(600_000);

const network = loadNetwork();

t.test("a Fabric peer's block hash chain verifies, block by block", async (t) => {
  const ledger = await openLedger(network, hospital(network, 'Hospital1'));
  t.teardown(() => ledger.close());
  const height = await ledger.height();
  const report = await ledger.verify();
  t.match(report, { ok: true, problems: [], checked: 'hash-chain' }, 'every link holds');
  t.ok(BigInt(report.height) >= height, `all ${height} blocks read`);
  t.ok(report.height > 2, 'the genesis block, the configuration and the chaincode transactions');
});
