import { X509Certificate } from 'node:crypto';
import t from 'tap';
import { OfflineSigner, Wallet, decodeProposedTransaction, type TransactionIntent, type WalletIdentity } from '../src/index.js';
import { bytesToHex, concatBytes } from '../src/bytes.js';
import { gateway as gw } from '../src/fabric/protos.js';
import { CHAINCODE, CHANNEL, commitStatusFor, envelopeFor, invocationOf, offlineGateway, signedProposalOf } from './support/fabric.js';
import { OTHER_PHRASE, PHRASE, enrolled, rejection, testCa } from './support/fixtures.js';
import { TrustStore, decodeSignedProposal, verifyLowS } from './support/gateway.js';

const REL = 'ab'.repeat(32);
const VIEWER = 'cd'.repeat(32);
const ca = await testCa('Hospital1MSP');
const alice = await enrolled(await Wallet.fromPhrase(PHRASE), ca, 'h1', 'alice');
const bob = await enrolled(await Wallet.fromPhrase(OTHER_PHRASE), ca, 'h1', 'bob');
const members = await TrustStore.fromMembers([{ mspId: 'Hospital1MSP', caCertificates: [ca.certificate] }]);

const signerOf = (identity: WalletIdentity) =>
  new OfflineSigner({ mspId: identity.enrolled().mspId, certificate: identity.enrolled().certificate, key: identity.key });
const intent = (contract: string, transaction: string, args: string[]): TransactionIntent => ({ channel: CHANNEL, chaincode: CHAINCODE, contract, transaction, args });
const certKey = (identity: WalletIdentity) => new X509Certificate(identity.enrolled().certificate).publicKey;

const aliceGateway = offlineGateway('Hospital1MSP', alice.enrolled().certificate);
const bobGateway = offlineGateway('Hospital1MSP', bob.enrolled().certificate);
t.teardown(() => {
  aliceGateway.close();
  bobGateway.close();
});

t.test('a proposal made by fabric-gateway is decoded to what the user would recognise', async (t) => {
  const grant = JSON.stringify({ items: [{ category: 'Observation', fields: ['code'] }], validUntil: '2030-01-01T00:00:00Z', purpose: 'TREAT' });
  const { bytes, txId } = aliceGateway.propose('Relationship', 'grant', [REL, VIEWER, grant]);
  const decoded = decodeProposedTransaction(bytes);
  t.match(decoded, { txId, channel: CHANNEL, chaincode: CHAINCODE, args: ['Relationship:grant', REL, VIEWER, grant], mspId: 'Hospital1MSP' });
  t.equal(decoded.certificate, alice.enrolled().certificate);
  t.ok(decoded.timestamp instanceof Date && Math.abs(decoded.timestamp.getTime() - Date.now()) < 60_000);
});

t.test('the device signs exactly the proposal asked for; Fabric and the embedded ledger accept the signature', async (t) => {
  const signer = signerOf(alice);
  const { bytes, digest, txId } = aliceGateway.propose('Relationship', 'accept', [REL]);
  const signed = await signer.signProposal(bytes, intent('Relationship', 'accept', [REL]), digest);
  t.equal(signed.txId, txId);
  t.equal(bytesToHex(signed.digest), bytesToHex(digest), "the device's digest is fabric-gateway's");

  // fabric-gateway takes the signature back, as the gateway will with newSignedProposal.
  const proposal = aliceGateway.gateway.newSignedProposal(bytes, signed.signature);
  t.equal(proposal.getTransactionId(), txId);
  const signedProposal = signedProposalOf(proposal.getBytes());

  // What the embedded ledger's endorse() does: decode, check the creator against the channel's MSP, verify low-S.
  const decoded = decodeSignedProposal(signedProposal);
  const creator = members.check(decoded.mspId, decoded.certificate, new Date());
  t.ok(creator.ok, 'the creator is a valid member of Hospital1MSP');
  t.ok(creator.ok && verifyLowS(decoded.proposalBytes, decoded.signature, creator.publicKey), "the embedded ledger's low-S check accepts it");
  t.same(decoded.args, ['Relationship:accept', REL]);
  t.notOk(verifyLowS(decoded.proposalBytes, decoded.signature, certKey(bob)), "and bob's certificate does not verify it");
});

t.test('evaluations are signed the same way (a read proposal)', async (t) => {
  const { bytes, digest } = aliceGateway.propose('Summary', 'mine', []);
  const signed = await signerOf(alice).signProposal(bytes, intent('Summary', 'mine', []), digest);
  t.ok(verifyLowS(decodeProposedTransaction(bytes).proposalBytes, signed.signature, certKey(alice)));
});

t.test('anything but the exact intent is refused, and nothing is signed', async (t) => {
  const signer = signerOf(alice);
  const { bytes, digest } = aliceGateway.propose('Relationship', 'accept', [REL]);
  const wanted = intent('Relationship', 'accept', [REL]);
  const cases: [string, TransactionIntent][] = [
    ['another channel', { ...wanted, channel: 'other' }],
    ['another chaincode', { ...wanted, chaincode: 'other' }],
    ['another contract', { ...wanted, contract: 'Summary' }],
    ['another transaction (the user asked to reject)', { ...wanted, transaction: 'reject' }],
    ['another relationship', { ...wanted, args: [VIEWER] }],
    ['an extra argument', { ...wanted, args: [REL, 'x'] }],
    ['a missing argument', { ...wanted, args: [] }],
  ];
  for (const [why, asked] of cases) t.equal((await rejection(signer.signProposal(bytes, asked, digest))).code, 'INTENT_MISMATCH', why);

  const remove = aliceGateway.propose('Relationship', 'remove', [REL]);
  t.equal((await rejection(signer.signProposal(remove.bytes, wanted, remove.digest))).code, 'INTENT_MISMATCH', 'a gateway preparing remove when the user asked to accept');
  const otherChannel = aliceGateway.propose('Relationship', 'accept', [REL], { channel: 'shadow' });
  t.equal((await rejection(signer.signProposal(otherChannel.bytes, wanted))).code, 'INTENT_MISMATCH', 'the right call on another channel');
});

t.test('a digest that is not the hash of the bytes is refused: no opaque digest is ever signed', async (t) => {
  const signer = signerOf(alice);
  const wanted = intent('Relationship', 'accept', [REL]);
  const { bytes } = aliceGateway.propose('Relationship', 'accept', [REL]);
  const remove = aliceGateway.propose('Relationship', 'remove', [REL]);
  t.equal((await rejection(signer.signProposal(bytes, wanted, remove.digest))).code, 'DIGEST_MISMATCH', "the accept bytes with the remove proposal's digest");
  t.equal((await rejection(signer.signProposal(bytes, wanted, new Uint8Array(32)))).code, 'DIGEST_MISMATCH');
});

t.test("a proposal in someone else's name is refused", async (t) => {
  const fromBob = bobGateway.propose('Relationship', 'accept', [REL]);
  t.equal((await rejection(signerOf(alice).signProposal(fromBob.bytes, intent('Relationship', 'accept', [REL])))).code, 'WRONG_SIGNER');
  const otherMsp = offlineGateway('Hospital2MSP', alice.enrolled().certificate);
  t.teardown(() => otherMsp.close());
  const wrongMsp = otherMsp.propose('Relationship', 'accept', [REL]);
  t.equal((await rejection(signerOf(alice).signProposal(wrongMsp.bytes, intent('Relationship', 'accept', [REL])))).code, 'WRONG_SIGNER', 'her certificate under another MSP id');
});

t.test('malformed, smuggling or already-signed messages are refused', async (t) => {
  const signer = signerOf(alice);
  const wanted = intent('Relationship', 'accept', [REL]);
  const { bytes, digest } = aliceGateway.propose('Relationship', 'accept', [REL]);
  const malformed = async (why: string, data: Uint8Array) =>
    t.equal((await rejection(signer.signProposal(data, wanted))).code, 'MALFORMED_MESSAGE', why);
  await malformed('garbage', new Uint8Array([1, 2, 3, 4, 5]));
  await malformed('empty', new Uint8Array());
  await malformed('an unknown field appended (field 15, varint 1)', concatBytes(bytes, new Uint8Array([0x78, 0x01])));
  const withTransient = aliceGateway.propose('Relationship', 'accept', [REL], { transient: { secret: 'x' } });
  await malformed('transient data riding along', withTransient.bytes);
  const signed = await signer.signProposal(bytes, wanted, digest);
  await malformed('an already signed proposal', aliceGateway.gateway.newSignedProposal(bytes, signed.signature).getBytes());

  // The transaction id must be SHA-256(nonce ‖ creator), and the wrapper's id the same.
  const proposed = gw.ProposedTransaction.deserializeBinary(bytes);
  proposed.setTransactionId('0'.repeat(64));
  await malformed("a wrapper whose transaction id is not the proposal's", proposed.serializeBinary());
});

t.test('the envelope is signed only when it is the signed proposal, endorsed', async (t) => {
  const signer = signerOf(alice);
  const wanted = intent('Relationship', 'accept', [REL]);
  const first = aliceGateway.propose('Relationship', 'accept', [REL]);
  const { ticket } = await signer.signProposal(first.bytes, wanted, first.digest);
  const envelope = envelopeFor(first.bytes, { result: '{"status":"accepted"}' });

  // fabric-gateway reads the same envelope: same digest, same result.
  const transaction = aliceGateway.gateway.newTransaction(envelope);
  const signed = await signer.signTransaction(envelope, ticket, transaction.getDigest());
  t.equal(signed.txId, first.txId);
  t.equal(new TextDecoder().decode(signed.response.payload), '{"status":"accepted"}');
  t.equal(new TextDecoder().decode(transaction.getResult()), '{"status":"accepted"}', "fabric-gateway's parser reads the same result");
  t.equal(signed.endorsements, 1);
  const signedTx = aliceGateway.gateway.newSignedTransaction(envelope, signed.signature);
  const back = gw.PreparedTransaction.deserializeBinary(signedTx.getBytes()).getEnvelope()!;
  t.ok(verifyLowS(back.getPayload_asU8(), back.getSignature_asU8(), certKey(alice)), 'the envelope signature is low-S and verifies with her certificate');

  const second = aliceGateway.propose('Relationship', 'accept', [REL]);
  const cases: [string, Uint8Array, string][] = [
    ["another proposal's envelope", envelopeFor(second.bytes), 'TRANSACTION_MISMATCH'],
    ["another proposal's envelope carrying this transaction id", envelopeFor(second.bytes, { transactionId: first.txId }), 'TRANSACTION_MISMATCH'],
    ['an envelope carrying another call (remove)', envelopeFor(first.bytes, { invocation: invocationOf(['Relationship:remove', REL]) }), 'TRANSACTION_MISMATCH'],
    ['an endorsed proposal hash that is not this proposal', envelopeFor(first.bytes, { proposalHash: new Uint8Array(32) }), 'TRANSACTION_MISMATCH'],
    ['two actions', envelopeFor(first.bytes, { extraAction: true }), 'MALFORMED_MESSAGE'],
    ['garbage', new Uint8Array([9, 9, 9]), 'MALFORMED_MESSAGE'],
    ['an already signed envelope', signedTx.getBytes(), 'MALFORMED_MESSAGE'],
  ];
  for (const [why, bytes, code] of cases) t.equal((await rejection(signer.signTransaction(bytes, ticket))).code, code, why);
  t.equal((await rejection(signer.signTransaction(envelope, ticket, first.digest))).code, 'DIGEST_MISMATCH', "the proposal's digest offered for the envelope");
});

t.test('the commit-status request is signed only for the transaction the device signed, in its own name', async (t) => {
  const signer = signerOf(alice);
  const first = aliceGateway.propose('Relationship', 'accept', [REL]);
  const { ticket } = await signer.signProposal(first.bytes, intent('Relationship', 'accept', [REL]));
  const request = commitStatusFor(first.txId, CHANNEL, ticket.creator);
  const signed = await signer.signCommitStatus(request, ticket, aliceGateway.gateway.newCommit(request).getDigest());
  const commit = gw.SignedCommitStatusRequest.deserializeBinary(aliceGateway.gateway.newSignedCommit(request, signed.signature).getBytes());
  t.ok(verifyLowS(commit.getRequest_asU8(), commit.getSignature_asU8(), certKey(alice)));

  const bobCreator = decodeProposedTransaction(bobGateway.propose('Summary', 'mine', []).bytes).creator;
  const cases: [string, Uint8Array, string][] = [
    ['another transaction', commitStatusFor('f'.repeat(64), CHANNEL, ticket.creator), 'TRANSACTION_MISMATCH'],
    ['another channel', commitStatusFor(first.txId, 'other', ticket.creator), 'TRANSACTION_MISMATCH'],
    ["bob's identity", commitStatusFor(first.txId, CHANNEL, bobCreator), 'WRONG_SIGNER'],
    ['garbage', new Uint8Array([0xff]), 'MALFORMED_MESSAGE'],
  ];
  for (const [why, bytes, code] of cases) t.equal((await rejection(signer.signCommitStatus(bytes, ticket))).code, code, why);
});
