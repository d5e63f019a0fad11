/**
 * A patient's research choices with a device-held key (docs/research.md, docs/device-keys.md §5-6):
 * opting in or out is a Research.consentBatch signed on the device, endorsed by each provider's
 * hospital; which studies used her data is asked of each hospital's gatekeeper with a request signed
 * on the device and relayed by the home gateway.
 */
import { utf8 } from '../bytes.js';
import { WalletError } from '../errors.js';
import { evaluateTransaction, intentFor, signerFor, submitTransaction, type TransactionOutcome } from '../flows.js';
import { freshClaims, signJws } from '../gatekeeper/request.js';
import { openSealedInclusions, type Inclusion } from '../gatekeeper/sealed.js';
import { REQUEST_TYP } from '../gatekeeper/wire.js';
import { GatewayProblem, type GatewayClient } from '../http/gateway-client.js';
import type { RelationshipView, SummaryEntry } from '../http/views.js';
import type { WalletIdentity } from '../wallet.js';

export interface ConsentTerms {
  categories: string[];
  studyId?: string | null;
  validUntil?: string | null;
}

export interface ConsentChange extends TransactionOutcome {
  /** the relationships whose consent changed (the chaincode's answer) */
  relationshipIds: string[];
}

export interface InclusionReport {
  relationshipId: string;
  providerMspId: string;
  /** null when that hospital's gatekeeper refused or could not be reached (problem says why) */
  inclusions: Inclusion[] | null;
  problem?: { status: number; code: string };
}

async function read<T>(client: GatewayClient, identity: WalletIdentity, contract: string, transaction: string, args: string[] = []): Promise<T> {
  return JSON.parse(utf8(await evaluateTransaction(client, signerFor(identity), intentFor(identity, contract, transaction, args)))) as T;
}

async function changeConsents(
  client: GatewayClient,
  identity: WalletIdentity,
  items: { relationshipId: string; providerMspId: string; consent: ConsentTerms | null }[],
): Promise<ConsentChange> {
  // Each consent is endorsed by the hospital that keeps that relationship's records.
  const orgs = [...new Set(items.map((i) => i.providerMspId))];
  const batch = JSON.stringify(items.map(({ relationshipId, consent }) => ({ relationshipId, consent })));
  const outcome = await submitTransaction(client, signerFor(identity), intentFor(identity, 'Research', 'consentBatch', [batch]), orgs);
  return { ...outcome, relationshipIds: JSON.parse(utf8(outcome.result)) as string[] };
}

/** Opts in on the named relationships, or on every open one of the patient's when none are named. */
export async function researchOptIn(client: GatewayClient, identity: WalletIdentity, terms: ConsentTerms, relationshipIds?: readonly string[]): Promise<ConsentChange> {
  const open = (await read<SummaryEntry[]>(client, identity, 'Summary', 'mine')).filter(
    (e) => e.role === 'patient' && e.status !== 'rejected' && e.status !== 'deleted',
  );
  const chosen = relationshipIds ? open.filter((e) => relationshipIds.includes(e.relationshipId)) : open;
  if (chosen.length === 0 || (relationshipIds && chosen.length !== relationshipIds.length)) {
    throw new WalletError('INVALID_ARGUMENT', 'no open relationship of yours to consent on (or a named one is not yours)');
  }
  const consent = { categories: terms.categories, studyId: terms.studyId ?? null, validUntil: terms.validUntil ?? null };
  return changeConsents(client, identity, chosen.map((e) => ({ relationshipId: e.relationshipId, providerMspId: e.providerMspId, consent })));
}

/** Opts out on the named relationships, or on every one with an active consent; null when there was none. */
export async function researchOptOut(client: GatewayClient, identity: WalletIdentity, relationshipIds?: readonly string[]): Promise<ConsentChange | null> {
  const views = await read<{ relationshipId: string; providerMspId: string; consent: { status?: string } | null }[]>(client, identity, 'Research', 'consents');
  const active = views.filter((v) => v.consent?.status === 'active' && (!relationshipIds || relationshipIds.includes(v.relationshipId)));
  if (active.length === 0) return null;
  return changeConsents(client, identity, active.map((v) => ({ relationshipId: v.relationshipId, providerMspId: v.providerMspId, consent: null })));
}

/** Asks each hospital holding one of the patient's relationships which released answers included her. */
export async function researchInclusions(client: GatewayClient, identity: WalletIdentity): Promise<InclusionReport[]> {
  const { certificate } = identity.enrolled();
  const mine = (await read<SummaryEntry[]>(client, identity, 'Summary', 'mine')).filter((e) => e.role === 'patient');
  const reports: InclusionReport[] = [];
  // One after another: each read and relay is one session's pending transaction, and the device signs each.
  for (const entry of mine) {
    const base = { relationshipId: entry.relationshipId, providerMspId: entry.providerMspId };
    const view = await read<RelationshipView>(client, identity, 'Relationship', 'get', [entry.relationshipId]);
    const claims = { rel: entry.relationshipId, aud: new URL(view.endpoint).origin, ...freshClaims() };
    const jws = await signJws(identity.key, certificate, REQUEST_TYP, claims);
    try {
      // Sealed to this device by the gatekeeper: the home gateway relaying it sees which studies only as ciphertext.
      reports.push({ ...base, inclusions: await openSealedInclusions(await client.relayInclusions(jws), identity.key, { jti: claims.jti }) });
    } catch (err) {
      // One hospital refusing or down does not hide what the others answered.
      if (!(err instanceof GatewayProblem)) throw err;
      reports.push({ ...base, inclusions: null, problem: { status: err.status, code: err.code } });
    }
  }
  return reports;
}
