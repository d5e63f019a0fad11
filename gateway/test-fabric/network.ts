/** The running native Fabric network (npm run fabric:up), as the end-to-end tests see it. */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { checkpointers } from '@hyperledger/fabric-gateway';
import { identityId } from '@medrec/chaincode/domain';
import { FabricCaIdentity } from '../src/adapters/identity/fabric-ca/ca.js';
import { FabricLedger } from '../src/adapters/ledger/fabric/ledger.js';
import { trustTlsRoots } from '../demo/trust.js';
import type { Credentials } from '../src/ports/identity.js';
import { ChaincodeError, type LedgerPort, type Signer } from '../src/ports/ledger.js';

const run = promisify(execFile);
// dist/test-fabric/network.js → repository root
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

interface UserFiles {
  certificate: string;
  privateKey: string;
}

export interface PeerInfo {
  endpoint: string;
  tlsCaCert: string;
  hostAlias?: string;
  operations: string;
  process: string;
}

export interface HospitalInfo {
  name: string;
  key: string;
  mspId: string;
  /** Its first peer; `peers` all of them. */
  peer: PeerInfo;
  peers: PeerInfo[];
  /** Its gateway's origin (several hosts: by name). */
  gatewayUrl: string;
  /** Several hosts: the hospital's network namespace. */
  netns?: string;
  orderer: { endpoint: string; tlsCaCert: string; operations: string; process: string };
  ca: { url: string; caName: string; tlsCaCert: string };
  gatewayPort: number;
  users: Record<string, UserFiles>;
}

export interface NetworkInfo {
  channel: string;
  chaincode: string;
  dataDir: string;
  consensus: string;
  orderers: { endpoint: string; process: string; operations: string; mspId: string; tlsCaCert: string }[];
  hospitals: HospitalInfo[];
}

export function networkFile(): string {
  return join(process.env.FABRIC_DATA ?? join(ROOT, '.fabric', 'network'), 'network.json');
}

/** The network as network.json describes it; this process's fetch then trusts its hospitals' TLS roots (their gateways serve HTTPS). */
export function loadNetwork(): NetworkInfo {
  const network = JSON.parse(readFileSync(networkFile(), 'utf8')) as NetworkInfo;
  for (const file of new Set(network.hospitals.map((h) => h.peer.tlsCaCert))) trustTlsRoots(file);
  return network;
}

export function hospital(network: NetworkInfo, name: string): HospitalInfo {
  const found = network.hospitals.find((h) => h.name === name);
  if (!found) throw new Error(`no hospital ${name} in ${networkFile()}`);
  return found;
}

/** One of the identities fabric:up enrolled for a hospital (admin, records-service, registrar, auditor). */
export function staffCredentials(h: HospitalInfo, user: string): Credentials {
  const files = h.users[user];
  if (!files) throw new Error(`${h.name} has no user ${user}`);
  return {
    mspId: h.mspId,
    enrollmentId: user,
    certificate: readFileSync(files.certificate, 'utf8'),
    privateKey: readFileSync(files.privateKey, 'utf8'),
  };
}

export async function openLedger(network: NetworkInfo, h: HospitalInfo, checkpointFile?: string, extra: { accessIndex?: boolean } = {}): Promise<FabricLedger> {
  return new FabricLedger({
    ...extra,
    peers: h.peers.map((p) => ({
      endpoint: p.endpoint,
      tlsRootCert: readFileSync(p.tlsCaCert, 'utf8'),
      ...(p.hostAlias ? { hostAlias: p.hostAlias } : {}),
    })),
    channel: network.channel,
    chaincode: network.chaincode,
    serviceSigner: staffCredentials(h, 'records-service'),
    ...(checkpointFile ? { checkpointer: await checkpointers.file(checkpointFile) } : {}),
  });
}

export function openIdentity(h: HospitalInfo): FabricCaIdentity {
  return new FabricCaIdentity({
    url: h.ca.url,
    caName: h.ca.caName,
    tlsRootCert: readFileSync(h.ca.tlsCaCert, 'utf8'),
    mspId: h.mspId,
    hospital: h.name,
  });
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

export function fakeExternalIdHash(): string {
  return createHash('sha256').update(randomBytes(32)).digest('hex');
}

export function iid(user: Credentials): string {
  return identityId(user.mspId, user.enrollmentId);
}

export function json<T>(bytes: Uint8Array): T {
  return JSON.parse(Buffer.from(bytes).toString('utf8')) as T;
}

/** Registers the identity on the ledger (by its hospital's registrar) unless it already is. */
export async function ensureOnLedger(ledger: LedgerPort, registrar: Signer, user: Credentials, role: string): Promise<string> {
  try {
    return json<{ participantId: string }>(await ledger.evaluate(user, 'Registrar', 'whoami', [])).participantId;
  } catch (error) {
    if (!(error instanceof ChaincodeError) || error.code !== 'FORBIDDEN') throw error;
  }
  const record = await ledger.submit(registrar, 'Registrar', 'register', [fakeExternalIdHash(), user.enrollmentId, role]);
  return json<{ participantId: string }>(record.result).participantId;
}

/** A new person at a hospital: registered and enrolled with the Fabric CA, registered on the ledger. */
export async function newPerson(
  h: HospitalInfo,
  ledger: LedgerPort,
  role: string,
): Promise<Credentials & { participantId: string }> {
  const ca = openIdentity(h);
  const enrollmentId = uniqueName(role);
  const { secret } = await ca.register(staffCredentials(h, 'registrar'), { enrollmentId, role });
  const user = await ca.enroll(enrollmentId, secret);
  const participantId = await ensureOnLedger(ledger, staffCredentials(h, 'registrar'), user, role);
  return { ...user, participantId };
}

/**
 * Waits (bounded) until the peer behind `ledger` has committed block `blockNumber`. A submit returns
 * once its own hospital's peer has committed; another hospital's peer may commit the block a moment
 * later (with SmartBFT's several orderers noticeably so), so a read through it waits for that first.
 */
export async function caughtUp(ledger: LedgerPort, blockNumber: bigint): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await ledger.height()) > blockNumber) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the peer did not commit block ${blockNumber} within 20 s`);
}

/** The channel's height on a peer or orderer, from its operations endpoint (0 while it has none). */
export async function nodeHeight(operations: string): Promise<number> {
  const metrics = await (await fetch(`${operations}/metrics`)).text();
  const match = /^ledger_blockchain_height\{channel="medrec"\} (\d+)/m.exec(metrics);
  return match ? Number(match[1]) : 0;
}

/**
 * Waits (bounded) until the nodes at `lagging` (operations URLs) have at least the height of the node
 * at `reference`: a restarted orderer or peer has caught up with the chain it missed.
 */
export async function nodesCaughtUp(reference: string, lagging: string[], timeoutMs = 120_000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const target = await nodeHeight(reference);
    const heights = await Promise.all(lagging.map((url) => nodeHeight(url).catch(() => 0)));
    if (target > 0 && heights.every((h) => h >= target)) return true;
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * network/ctl.sh: stop (SIGTERM), kill (SIGKILL) or start one hospital's process of the network; on
 * several hosts also a hospital's whole host: kill every process on it, start them all again, cut
 * its network link or restore it.
 */
export async function ctl(
  action: 'stop' | 'kill' | 'start' | 'cut' | 'restore',
  kind: 'peer' | 'peer1' | 'orderer' | 'chaincode' | 'gateway' | 'host',
  hospitalName: string,
  chaincode?: string,
): Promise<void> {
  await run(join(ROOT, 'network', 'ctl.sh'), [action, kind, hospitalName, ...(chaincode ? [chaincode] : [])], { timeout: 300_000 });
}

/** A network script that prints one JSON line last (push-crl.sh, upgrade-chaincode.sh). */
export async function networkCommand<T>(script: string, args: string[], timeout = 600_000): Promise<T> {
  const { stdout } = await run(join(ROOT, 'network', script), args, { timeout });
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as T;
}

/** How many of its orderers the channel's consensus tolerates losing: etcdraft a minority, SmartBFT f of 3f+1. */
export function faultTolerance(network: NetworkInfo): number {
  const n = network.orderers.length;
  return network.consensus === 'BFT' ? Math.floor((n - 1) / 3) : Math.floor((n - 1) / 2);
}

/** Fabric's own CLI: `peer chaincode query` as one of the hospital's staff identities. */
export async function peerQuery(h: HospitalInfo, user: string, args: string[]): Promise<string> {
  const { stdout } = await run(
    join(ROOT, 'network', 'peer-cli.sh'),
    [h.name, user, 'chaincode', 'query', '-C', 'medrec', '-n', 'medrec', '-c', JSON.stringify({ Args: args })],
    { timeout: 60_000 },
  );
  return stdout.trim();
}

export async function addHospital(name: string): Promise<void> {
  await run(join(ROOT, 'scripts', 'add-hospital.sh'), [name], { timeout: 600_000 });
}
