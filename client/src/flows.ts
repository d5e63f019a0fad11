/**
 * The device's side of each remote step (docs/device-keys.md), on the library alone so that the app
 * and the CLI run the same code: enrol by activation code, log in, submit a transaction by offline
 * signing, fetch sealed records and check them.
 */
import { CompactSign } from 'jose';
import { utf8, utf8ToBytes } from './bytes.js';
import { WalletError } from './errors.js';
import { OfflineSigner, type TransactionIntent } from './fabric/offline-signer.js';
import { freshClaims, signJws, signRequest } from './gatekeeper/request.js';
import { checkRecords, type GatekeeperAnswer, type RecordCheck } from './gatekeeper/answer.js';
import { openSealedAnswer } from './gatekeeper/sealed.js';
import { LOGIN_TYP, RECOVER_TYP } from './gatekeeper/wire.js';
import type { ActivationInfo, ActivationResult, GatewayClient, Session } from './http/gateway-client.js';
import type { RelationshipView, SummaryEntry } from './http/views.js';
import type { DeviceKey } from './keys/device-key.js';
import type { Wallet, WalletIdentity } from './wallet.js';

export { LOGIN_TYP, RECOVER_TYP } from './gatekeeper/wire.js';

/** What a redeemed code or a recovered certificate tells the holder of the key (a wallet's Enrollment). */
export function enrollmentOf(result: ActivationResult) {
  return {
    mspId: result.mspId,
    enrollmentId: result.enrollmentId,
    certificate: result.certificate,
    caCertificates: result.caCertificates,
    participantId: result.participantId,
    identityId: result.identityId,
    role: result.role,
    ledger: { channel: result.channel, chaincode: result.chaincode },
  };
}

/** Redeems a registrar's activation code with a CSR of the identity's key; the key never leaves. */
export async function enrolByActivation(wallet: Wallet, name: string, client: GatewayClient, code: string): Promise<WalletIdentity> {
  const info = await client.inspectActivation(code);
  const existing = wallet.identities().find((i) => i.name === name);
  if (existing && existing.record.scope.mspId !== info.mspId) {
    throw new WalletError('INVALID_ARGUMENT', `identity ${name} belongs to ${existing.record.scope.mspId}, the code to ${info.mspId}`);
  }
  const identity = existing ?? wallet.addIdentity(name, { kind: 'identity', mspId: info.mspId }, client.baseUrl);
  const result = await client.redeemActivation(code, await identity.csr(info.enrollmentId));
  return wallet.setEnrollment(name, enrollmentOf(result));
}

/**
 * Redeems a providing hospital's delegate code (docs/privacy.md §3) with a key of its own for that
 * one relationship: scope `delegate/<mspId>/<n>`, n counting that hospital's delegates on this
 * device (so the phrase alone recovers them, docs/device-keys.md §1). A delegate left unenrolled by
 * a failed redemption is used again rather than skipped.
 */
export async function enrolDelegate(wallet: Wallet, client: GatewayClient, code: string): Promise<WalletIdentity> {
  const info = await client.inspectActivation(code);
  assertDelegateCode(info);
  const delegates = wallet.identities().filter((i) => i.record.scope.kind === 'delegate' && i.record.scope.mspId === info.mspId);
  const label = String(delegates.length);
  const identity = delegates.find((i) => !i.enrollment) ?? wallet.addIdentity(`delegate-${info.mspId}-${label}`, { kind: 'delegate', mspId: info.mspId, label }, client.baseUrl);
  const result = await client.redeemActivation(code, await identity.csr(info.enrollmentId));
  return wallet.setEnrollment(identity.name, enrollmentOf(result));
}

/** A home activation code is not a delegate's: refused before anything is redeemed (it would make a second home identity). */
export function assertDelegateCode(info: ActivationInfo): void {
  if (info.kind !== 'delegate' || info.role !== 'patient') {
    throw new WalletError('NOT_A_DELEGATE_CODE', `this is a ${info.kind === 'home' ? 'home activation' : info.role} code, not a hospital's delegate code`);
  }
}

/**
 * The person's whole summary, assembled on the device: each enrolled identity (home identity and
 * every delegate) reads its own relationships from its own hospital's gateway, so no ledger index
 * and no single gateway ties them together. Each entry says which identity holds it. With
 * `unreachable`, an identity whose gateway fails (or whose `clientFor` throws) is reported there and
 * the others' entries still come back; without it, the first failure is thrown.
 */
export async function assembleSummary(
  wallet: Wallet,
  clientFor: (identity: WalletIdentity) => GatewayClient,
  options: { unreachable?: (identity: WalletIdentity, error: unknown) => void } = {},
): Promise<(SummaryEntry & { identity: string })[]> {
  const out: (SummaryEntry & { identity: string })[] = [];
  for (const identity of wallet.identities().filter((i) => i.enrollment)) {
    let entries: SummaryEntry[];
    try {
      entries = await listRelationships(clientFor(identity), identity);
    } catch (error) {
      if (!options.unreachable) throw error;
      options.unreachable(identity, error);
      continue;
    }
    for (const entry of entries) out.push({ ...entry, identity: identity.name });
  }
  return out;
}

/** A recovered device asks for the certificate of its re-derived key, proving it holds the key. */
export async function recoverEnrollment(wallet: Wallet, name: string, client: GatewayClient): Promise<WalletIdentity> {
  const identity = wallet.identity(name);
  return wallet.setEnrollment(name, enrollmentOf(await client.recoverCertificate(await recoverJws(identity.key, client.origin))));
}

/** The proof a key gives to be told its own certificate back (`POST /device/certificates/lookup` at `audience`). */
export async function recoverJws(key: DeviceKey, audience: string): Promise<string> {
  return new CompactSign(utf8ToBytes(JSON.stringify({ aud: audience, ...freshClaims() })))
    .setProtectedHeader({ alg: 'ES256', typ: RECOVER_TYP, jwk: key.publicJwk })
    .sign(await key.signingKey());
}

/** A gateway session for the device identity: a short-lived signed login token, no password. */
export async function login(identity: WalletIdentity, client: GatewayClient): Promise<Session> {
  const { certificate } = identity.enrolled();
  return client.login(await signJws(identity.key, certificate, LOGIN_TYP, { aud: client.origin, ...freshClaims() }));
}

export function signerFor(identity: WalletIdentity): OfflineSigner {
  const { mspId, certificate } = identity.enrolled();
  return new OfflineSigner({ mspId, certificate, key: identity.key });
}

/** What the user asks for, on the ledger the device enrolled with. */
export function intentFor(identity: WalletIdentity, contract: string, transaction: string, args: readonly string[]): TransactionIntent {
  const ledger = identity.enrolled().ledger;
  if (!ledger) throw new WalletError('NOT_ENROLLED', `identity ${identity.name} does not know its channel and chaincode`);
  return { ...ledger, contract, transaction, args };
}

export interface TransactionOutcome {
  txId: string;
  /** Fabric validation code (VALID, MVCC_READ_CONFLICT, …) or UNKNOWN */
  status: string;
  blockNumber?: string;
  /** the chaincode's endorsed result */
  result: Uint8Array;
}

/** prepare → sign proposal → endorse → sign envelope → submit (→ sign commit-status request). */
export async function submitTransaction(
  client: GatewayClient,
  signer: OfflineSigner,
  intent: TransactionIntent,
  endorsingOrganizations?: readonly string[],
): Promise<TransactionOutcome> {
  const prepared = await client.prepare(intent.contract, intent.transaction, intent.args, endorsingOrganizations);
  const proposal = await signer.signProposal(prepared.proposal, intent, prepared.digest);
  if (proposal.txId !== prepared.txId) throw new WalletError('TRANSACTION_MISMATCH', 'the gateway named another transaction id than the proposal');
  const endorsed = await client.endorse(proposal.txId, proposal.signature);
  const envelope = await signer.signTransaction(endorsed.transaction, proposal.ticket, endorsed.digest);
  let submitted = await client.submit(proposal.txId, envelope.signature);
  if ('commit' in submitted) {
    const commit = await signer.signCommitStatus(submitted.commit, proposal.ticket, submitted.digest);
    submitted = await client.commit(proposal.txId, commit.signature);
  }
  return { ...submitted, result: envelope.response.payload };
}

/** A read (evaluate) signed on the device the same way; nothing is ordered. */
export async function evaluateTransaction(client: GatewayClient, signer: OfflineSigner, intent: TransactionIntent): Promise<Uint8Array> {
  const prepared = await client.prepare(intent.contract, intent.transaction, intent.args);
  const proposal = await signer.signProposal(prepared.proposal, intent, prepared.digest);
  return client.evaluate(proposal.txId, proposal.signature);
}

/**
 * The person's relationships (Summary.mine), read with a device-signed proposal: a device session
 * holds only a certificate, so the chaincode sees the device's own signature as the caller.
 */
export async function listRelationships(client: GatewayClient, identity: WalletIdentity): Promise<SummaryEntry[]> {
  return JSON.parse(utf8(await evaluateTransaction(client, signerFor(identity), intentFor(identity, 'Summary', 'mine', [])))) as SummaryEntry[];
}

export interface FetchedRecords {
  answer: GatekeeperAnswer;
  check: RecordCheck;
  gatekeeper: string;
}

/** Signs the gatekeeper request on the device, has it relayed, opens the sealed answer and re-hashes it. */
export async function fetchRecords(
  client: GatewayClient,
  identity: WalletIdentity,
  request: { relationshipId: string; category: string; fields?: string[] },
): Promise<FetchedRecords> {
  // A device-signed read: the gateway holds no key to read as this person, and its relay forwards
  // only to the endpoint the ledger gave this session for the relationship.
  const view = JSON.parse(
    utf8(await evaluateTransaction(client, signerFor(identity), intentFor(identity, 'Relationship', 'get', [request.relationshipId]))),
  ) as RelationshipView;
  const gatekeeper = new URL(view.endpoint).origin;
  const { jws, claims } = await signRequest(identity.key, identity.enrolled().certificate, {
    rel: request.relationshipId,
    cat: request.category,
    fields: request.fields ?? [],
    aud: gatekeeper,
  });
  const answer = await openSealedAnswer(await client.relay(jws), identity.key, { jti: claims.jti });
  if (answer.relationshipId !== request.relationshipId || answer.category !== request.category) {
    throw new WalletError('SEALED_ANSWER_INVALID', 'the sealed answer is about another relationship or category');
  }
  const ledgerHash = view.pointers?.find((p) => p.category === request.category)?.hash ?? null;
  return { answer, check: checkRecords(answer, ledgerHash), gatekeeper };
}
