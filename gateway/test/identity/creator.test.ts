/** The ledger's creator check: only certificates of a member org's CA, unrevoked, with the matching key. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { AccessDeniedError } from '../../src/ports/ledger.js';
import { TestContract } from '../ledger/contract.js';
import { openChannel, openOrg, str, tempDir } from '../ledger/support.js';

t.test('the creator must be an unrevoked identity of a member org, signing with its own key', async (t) => {
  const dir = tempDir(t);
  const h1 = await openOrg(dir, 'Hospital1MSP', 'Hospital 1');
  const h2 = await openOrg(dir, 'Hospital2MSP', 'Hospital 2');
  const outsider = await openOrg(dir, 'OutsiderMSP', 'Not on the channel');
  const ledger = await openChannel(dir, [h1, h2], [TestContract]);
  t.teardown(async () => {
    await ledger.close();
    for (const o of [h1, h2, outsider]) o.ca.close();
  });
  const alice = await h1.enroll('alice', 'patient');
  const bob = await h1.enroll('bob', 'patient');
  const carol = await h2.enroll('carol', 'provider');
  const mallory = await outsider.enroll('mallory', 'patient');

  t.equal(str((await ledger.submit(carol, 'Test', 'put', ['k', 'v'])).result), 'v', 'a member of either org may submit');

  const refused = async (what: string, signer: typeof alice) => {
    await t.rejects(ledger.submit(signer, 'Test', 'put', ['k', what]), AccessDeniedError, `submit refused: ${what}`);
    await t.rejects(ledger.evaluate(signer, 'Test', 'get', ['k']), AccessDeniedError, `evaluate refused: ${what}`);
  };
  await refused('another org’s certificate claiming Hospital1MSP', { ...carol, mspId: 'Hospital1MSP' });
  await refused('a certificate of a CA that is not on the channel', mallory);
  await refused('an org that is not on the channel', { ...mallory, mspId: 'OutsiderMSP' });
  await refused('a certificate signed with the wrong private key', { ...alice, privateKey: bob.privateKey });
  await refused('a CA certificate', { ...alice, certificate: (await h1.ca.trustAnchors())[0]! });
  await refused('a certificate that is not one', { ...alice, certificate: 'not a certificate' });

  await h1.ca.revoke(h1.admin, 'bob', 'keyCompromise');
  t.equal(str((await ledger.submit(bob, 'Test', 'put', ['k', 'bob'])).result), 'bob', 'revocation unknown to the channel yet');
  await ledger.updateMember(await h1.ca.channelMember());
  await refused('a revoked certificate', bob);
  h1.ca.onRevoke(async () => ledger.updateMember(await h1.ca.channelMember()));
  const dan = await h1.enroll('dan', 'patient');
  await ledger.submit(dan, 'Test', 'put', ['d', 'dan']);
  await h1.ca.revoke(h1.admin, 'dan');
  await refused('a certificate revoked through the CA’s revocation hook', dan);
  t.equal(str((await ledger.submit(alice, 'Test', 'put', ['k', 'alice'])).result), 'alice', 'others of the org unaffected');
  t.equal(str(await ledger.evaluate(alice, 'Test', 'get', ['k'])), 'alice');
  t.same((await ledger.verify()).problems, [], 'the configuration update is a block of the chain');
  const height = await ledger.height();
  await ledger.updateMember(await h1.ca.channelMember());
  t.equal(await ledger.height(), height, 'a re-signed but equal CRL changes nothing');
  const original = { mspId: 'Hospital1MSP', caCertificates: await h1.ca.trustAnchors(), revocationLists: [] };
  await ledger.updateMember(original);
  await ledger.updateMember(await h1.ca.channelMember());
  await ledger.updateMember(original);
  t.equal(await ledger.height(), height + 3n, 'an earlier configuration may come back');
  t.equal(str((await ledger.submit(bob, 'Test', 'put', ['k', 'bob again'])).result), 'bob again', 'without the CRL bob is accepted');
  await ledger.updateMember(await h1.ca.channelMember());
  t.same((await ledger.verify()).problems, []);

  // A CRL must be signed by the org's own CA.
  await t.rejects(
    ledger.updateMember({ ...(await h1.ca.channelMember()), revocationLists: [await h2.ca.crl()] }),
    /not signed by its CA/,
  );
  t.notMatch(readFileSync(join(dir, 'ledger', 'ledger.sqlite')).toString('latin1'), /PRIVATE KEY/, 'no key reaches the ledger');
});

t.test('a revocation published while a transaction waits to be ordered invalidates it at commit', async (t) => {
  const dir = tempDir(t);
  const h1 = await openOrg(dir, 'Hospital1MSP', 'Hospital 1');
  // The block is cut by a second transaction, after the revocation, not by a timer that a slow
  // revocation (a loaded machine) could beat; the timeout only ends the test if nothing cuts it.
  const ledger = await openChannel(dir, [h1], [TestContract], { batchTimeoutMs: 60_000, maxBlockTransactions: 2 });
  t.teardown(async () => {
    await ledger.close();
    h1.ca.close();
  });
  const bob = await h1.enroll('bob', 'patient');
  const alice = await h1.enroll('alice', 'patient');
  const pending = ledger.submit(bob, 'Test', 'put', ['k', 'v']);
  const outcome = pending.then(
    () => 'committed',
    (err: unknown) => err,
  );
  // Endorsement runs in-process without timers: a tick later the transaction waits to be ordered.
  await new Promise((resolve) => setTimeout(resolve, 20));
  await h1.ca.revoke(h1.admin, 'bob');
  await ledger.updateMember(await h1.ca.channelMember());
  const after = await ledger.submit(alice, 'Test', 'put', ['j', 'w']);
  t.match(await outcome, { name: 'TransactionInvalidError', validationCode: 'BAD_CREATOR_SIGNATURE' });
  t.equal((await ledger.getTransaction(after.txId))?.blockNumber, after.blockNumber, 'the unrevoked transaction in the same block commits');
});

t.test('two organisations updating the channel at once: neither update is lost', async (t) => {
  const dir = tempDir(t);
  const h1 = await openOrg(dir, 'Hospital1MSP', 'Hospital 1');
  const h2 = await openOrg(dir, 'Hospital2MSP', 'Hospital 2');
  const ledger = await openChannel(dir, [h1, h2], [TestContract]);
  t.teardown(async () => {
    await ledger.close();
    h1.ca.close();
    h2.ca.close();
  });
  const erin = await h2.enroll('erin', 'patient');
  const frank = await h1.enroll('frank', 'patient');
  const carol = await h2.enroll('carol', 'patient');
  await h2.ca.revoke(h2.admin, 'erin');
  await h1.ca.revoke(h1.admin, 'frank');
  await Promise.all([ledger.updateMember(await h1.ca.channelMember()), ledger.updateMember(await h2.ca.channelMember())]);
  await t.rejects(ledger.evaluate(frank, 'Test', 'get', ['k']), AccessDeniedError, 'Hospital1MSP’s revocation holds');
  await t.rejects(ledger.evaluate(erin, 'Test', 'get', ['k']), AccessDeniedError, 'Hospital2MSP’s revocation holds');
  t.equal(str((await ledger.submit(carol, 'Test', 'put', ['k', 'carol'])).result), 'carol');
});
