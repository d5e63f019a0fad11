/**
 * The FHIR facade's world, built only through the REST API its users use: a patient of hospital 1
 * who is also treated at hospital 2 (alice, a demo user) — at hospital 2 under a delegate that its
 * registrar registered for its chart, with a password account there (docs/privacy.md §3: hospital 2
 * may not name her home id) — a relationship at each hospital accepted by her identity there, a
 * viewer (victor, hospital 1) granted a few fields at both, a second viewer (wendy, hospital 2)
 * granted nothing, and an auditor of each hospital. Used by test/fhir/*.test.ts and test-fhir/.
 */
import type { Category } from '@medrec/chaincode/domain';
import { Client } from 'fhir-kit-client';
import { demoUsersFor } from '../../demo/users.js';
import { api, isoIn, login, removeDir, startTestSystem, treatUnderDelegate, type Json, type TestSystem } from '../http/support.js';

export interface Scenario {
  sys: TestSystem;
  /** alice's home identity, at hospital 1: the patient of rels.h1 */
  alice: { token: string; pid: string };
  /** alice's delegate at hospital 2 (an account there, ALICE_AT_2_PASSWORD): the patient of rels.h2 */
  aliceAt2: { token: string; pid: string; username: string };
  victor: { token: string; pid: string };
  wendy: { token: string; pid: string };
  drAda: string;
  audra: string;
  otto: string;
  /** the relationship at hospital 1 and at hospital 2 */
  rels: { h1: string; h2: string };
  /** what victor was granted at each hospital */
  grants: { h1: Record<string, string[]>; h2: Record<string, string[]> };
  /** a FHIR client (fhir-kit-client) on a gateway's /fhir with a session token */
  fhir(base: string, token?: string): Client;
}

export const ALICE_AT_2_PASSWORD = 'alice-at-h2-pass';

export const VICTOR_GRANTS = {
  h1: { Observation: ['code', 'valueQuantity'], Condition: ['code'] },
  h2: { Observation: ['code', 'effectiveDateTime'] },
} satisfies Record<string, Partial<Record<Category, string[]>>>;

export async function ok(what: string, res: Promise<{ status: number; json: Json }>, status = 200): Promise<Json> {
  const r = await res;
  if (r.status !== status) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.json).slice(0, 300)}`);
  return r.json;
}

const me = async (base: string, token: string) => (await ok('me', api(base, 'GET', '/me', { token })))['participantId'] as string;

export async function openScenario(): Promise<Scenario> {
  const sys = await startTestSystem();
  const { h1, h2 } = sys;
  const aliceUser = demoUsersFor('hospital1').find((u) => u.username === 'alice')!;
  const alice = await login(h1, 'alice');
  const victor = await login(h1, 'victor');
  const wendy = await login(h2, 'wendy');
  const drAda = await login(h1, 'dr-ada');
  const drGrey = await login(h2, 'dr-grey');
  const alicePid = await me(h1, alice);

  const rel1 = await ok('h1 relationship', api(h1, 'POST', '/relationships', { token: drAda, body: { patientId: alicePid, mrn: aliceUser.mrn } }), 201);
  const at2 = await treatUnderDelegate(h2, await login(h2, 'registrar', 'registrar-demo-pass'), drGrey, aliceUser.alsoAt!.mrn, ALICE_AT_2_PASSWORD);
  const rels = { h1: rel1['relationshipId'] as string, h2: at2.relationshipId };
  /** Who acts for each relationship, at which gateway. */
  const party = { h1: { base: h1, token: alice }, h2: { base: h2, token: at2.token } };
  for (const key of ['h1', 'h2'] as const) await ok('accept', api(party[key].base, 'POST', `/relationships/${rels[key]}/accept`, { token: party[key].token }));

  const victorPid = await me(h1, victor);
  for (const [key, granted] of Object.entries(VICTOR_GRANTS) as [keyof typeof rels, Record<string, string[]>][]) {
    await ok(
      'grant',
      api(party[key].base, 'POST', `/relationships/${rels[key]}/grants`, {
        token: party[key].token,
        body: {
          viewerId: victorPid,
          items: Object.entries(granted).map(([category, fields]) => ({ category, fields })),
          validUntil: isoIn(3_600_000),
          purpose: key === 'h1' ? 'TREAT' : 'FAMRQT',
        },
      }),
      201,
    );
  }
  return {
    sys,
    alice: { token: alice, pid: alicePid },
    aliceAt2: { token: at2.token, pid: at2.patientId, username: at2.username },
    victor: { token: victor, pid: victorPid },
    wendy: { token: wendy, pid: await me(h2, wendy) },
    drAda,
    audra: await login(h1, 'audra'),
    otto: await login(h2, 'otto'),
    rels,
    grants: VICTOR_GRANTS,
    fhir: (base, token) => new Client({ baseUrl: `${base}/fhir`, ...(token ? { bearerToken: token } : {}) }),
  };
}

/** The scenario for one test file: opened now, closed (and its data removed) when the file ends. */
export async function scenarioFor(t: { teardown(fn: () => Promise<void>): void }): Promise<Scenario> {
  const s = await openScenario();
  t.teardown(async () => {
    await s.sys.close();
    removeDir(s.sys.dir);
  });
  return s;
}

export type Entry = { fullUrl: string; resource: Json; search: { mode: string } };

/** A searchset's entries of one search mode (`match` by default; `outcome` for the OperationOutcome). */
export const entriesOf = (bundle: Json, mode: 'match' | 'outcome' = 'match') => ((bundle['entry'] ?? []) as Entry[]).filter((e) => e.search.mode === mode);
export const originOf = (url: string) => new URL(url).origin;
