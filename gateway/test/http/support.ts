import '../../src/system/quiet-chaincode.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultHospitals, loadConfig, type FileConfig } from '../../src/system/config.js';
import { demoProvisioner, DEMO_HOSPITALS } from '../../demo/index.js';
import { trustTlsRoots } from '../../demo/trust.js';
import { closeAll, openSystem, startGateways, type MedrecSystem, type RunningGateway, type SystemTuning } from '../../src/system/system.js';

/** A fresh two-hospital system on real sockets (port 0), in a temporary directory. */
export interface TestSystem {
  dir: string;
  system: MedrecSystem;
  gateways: RunningGateway[];
  h1: string;
  h2: string;
  /** The environment a child process (the CLI) needs to trust the gateways: NODE_EXTRA_CA_CERTS=<dataDir>/tls-ca.pem. */
  clientEnv: Record<string, string>;
  close(): Promise<void>;
}

export async function startTestSystem(dir = mkdtempSync(join(tmpdir(), 'medrec-http-')), overrides: FileConfig = {}, tuning: SystemTuning = {}): Promise<TestSystem> {
  const config = loadConfig({}, { dataDir: dir, logLevel: 'silent', hospitals: defaultHospitals(dir, '127.0.0.1', 0), ...overrides }, { demoSeeds: DEMO_HOSPITALS });
  const system = await openSystem(config, { provisioner: demoProvisioner(), tuning });
  const gateways = await startGateways(system);
  trustTlsRoots(system.tlsRootsFile);
  return {
    dir,
    system,
    gateways,
    h1: gateways[0]!.url,
    h2: gateways[1]!.url,
    clientEnv: system.tlsRootsFile ? { NODE_EXTRA_CA_CERTS: system.tlsRootsFile } : {},
    close: () => closeAll(system, gateways),
  };
}

export const removeDir = (dir: string) => rmSync(dir, { recursive: true, force: true });

/** A test system for a whole test file: closed, and its directory removed, when `t` ends. */
export async function testSystemFor(t: { teardown(fn: () => unknown): void }, ...args: Parameters<typeof startTestSystem>): Promise<TestSystem> {
  const sys = await startTestSystem(...args);
  t.teardown(async () => {
    // sys.close is read here, at the end: a test that restarts the system points it at the new one.
    await sys.close();
    removeDir(sys.dir);
  });
  return sys;
}

export type Json = Record<string, any>;

export interface Answer {
  status: number;
  type: string;
  json: Json;
  text: string;
  headers: Headers;
}

export async function api(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const hasBody = options.body !== undefined || options.rawBody !== undefined;
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(hasBody ? { 'content-type': 'application/json' } : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await res.text();
  let json: Json = {};
  try {
    json = JSON.parse(text) as Json;
  } catch {
    json = {};
  }
  return { status: res.status, type: res.headers.get('content-type') ?? '', json, text, headers: res.headers };
}

export async function login(base: string, username: string, password = `${username}-demo-pass`): Promise<string> {
  const res = await api(base, 'POST', '/auth/login', { body: { username, password } });
  if (res.status !== 200) throw new Error(`login ${username} → ${res.status} ${res.json.code}`);
  return res.json.token as string;
}

/** ISO instant without milliseconds, as the grant schema wants it. */
export const isoIn = (ms: number) => new Date(Date.now() + ms).toISOString().replace(/\.\d+Z$/, 'Z');

/**
 * Fires `count` requests at once and asserts that no answer is a server error (a concurrent
 * legitimate request never gets a 5xx); the outcomes seen are in the assertion's message.
 */
export async function race(
  t: { same(found: unknown, wanted: unknown, message: string): unknown },
  name: string,
  count: number,
  send: (i: number) => Promise<Answer>,
): Promise<Answer[]> {
  const answers = await Promise.all(Array.from({ length: count }, (_, i) => send(i)));
  // A problem's code only: some answers carry a secret `code` of their own (an activation's).
  const outcome = (a: Answer) => `${a.status}${a.type.includes('problem') ? ` ${a.json.code as string}` : ''}`;
  const errors = answers.filter((a) => a.status >= 500).map(outcome);
  t.same(errors, [], `${name}: no 5xx among ${count} parallel requests (${[...new Set(answers.map(outcome))].join(', ')})`);
  return answers;
}

/** A relationship under a delegate, and the password account at the providing hospital that acts for it. */
export interface DelegateRelationship {
  /** the 201 answer of `POST /relationships {mrn}` */
  created: Json;
  relationshipId: string;
  /** the delegate's participant id: the relationship's patient */
  patientId: string;
  username: string;
  /** a session of the delegate's account at the providing hospital */
  token: string;
}

/**
 * How a hospital treats a patient registered at another one (docs/privacy.md §3): its registrar
 * registers a delegate for its chart, the patient redeems the code with a password (an account at
 * this hospital, the custodial path), and the provider creates the relationship by the chart.
 */
export async function treatUnderDelegate(base: string, registrar: string, provider: string, mrn: string, password: string): Promise<DelegateRelationship> {
  const issued = await api(base, 'POST', '/registrar/delegates', { token: registrar, body: { mrn } });
  if (issued.status !== 201) throw new Error(`delegate → ${issued.status} ${issued.json.code}`);
  const redeemed = await api(base, 'POST', '/device/activations/redeem', { body: { code: issued.json.code, password } });
  if (redeemed.status !== 201) throw new Error(`redeem → ${redeemed.status} ${redeemed.json.code}`);
  const created = await api(base, 'POST', '/relationships', { token: provider, body: { mrn } });
  if (created.status !== 201) throw new Error(`relationship → ${created.status} ${created.json.code}`);
  const username = redeemed.json.username as string;
  return { created: created.json, relationshipId: created.json.relationshipId, patientId: issued.json.participantId, username, token: await login(base, username, password) };
}
