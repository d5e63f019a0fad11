/**
 * Concurrent legitimate requests never answer 5xx and leave the state consistent (STANDARDS), for
 * the routes the races harness did not cover: the home's blinded external-id lookup (direct and
 * through another hospital's /registrar/resolve) and the auditor's live ledger check while blocks
 * commit.
 */
import { blindLookup, EXTERNAL_ID_LOOKUP_TYP } from '@medrec/client/protocol';
import t from 'tap';
import { LOOKUP_CATEGORY } from '../../src/http/routes/gatekeeper-external-id.js';
import { JOSE_MEDIA_TYPE, freshClaims, signJws } from '../../src/services/gatekeeper/signed-request.js';
import { api, login, removeDir, startTestSystem, type Answer } from './support.js';

type TapTest = Parameters<Parameters<typeof t.test>[0]>[0];

const N = 8;
t.setTimeout(240_000);
const sys = await startTestSystem(undefined, { rateLimits: { activation: { max: 100, windowSeconds: 60 }, login: { max: 200, windowSeconds: 60 } } });
t.teardown(async () => {
  await sys.close();
  removeDir(sys.dir);
});
const { h1, h2 } = sys;
const [home, other] = sys.system.hospitals;
const bob = sys.system.provisioned['Hospital1MSP']!.find((u) => u.username === 'bob')!;
const bobId = (await api(h1, 'GET', '/me', { token: await login(h1, 'bob') })).json.participantId as string;

/** Fires `count` requests at once; no answer may be a server error. */
async function race(t: TapTest, name: string, count: number, send: (i: number) => Promise<Answer>): Promise<Answer[]> {
  const answers = await Promise.all(Array.from({ length: count }, (_, i) => send(i)));
  // A problem's code only: an activation's answer carries a secret `code` too.
  const outcome = (a: Answer) => `${a.status}${a.type.includes('problem') ? ` ${a.json.code as string}` : ''}`;
  const errors = answers.filter((a) => a.status >= 500).map(outcome);
  t.same(errors, [], `${name}: no 5xx among ${count} parallel requests (${[...new Set(answers.map(outcome))].join(', ')})`);
  return answers;
}

t.test(`external-id lookups ×${N} at the home, and resolves ×${N} through another hospital, at once`, async (t) => {
  const lookups = () => home!.audit.records(1, 100_000).filter((r) => r.category === LOOKUP_CATEGORY).length;
  const before = lookups();
  const grey = await login(h2, 'dr-grey');
  const blinds = Array.from({ length: N }, () => blindLookup('national-id', bob.externalId!));
  const signed = await Promise.all(blinds.map((b) => signJws(other!.service, EXTERNAL_ID_LOOKUP_TYP, { blinded: b.blinded, aud: h1, ...freshClaims() })));
  const [direct, resolved] = await Promise.all([
    race(t, 'POST /gatekeeper/external-id', N, (i) => api(h1, 'POST', '/gatekeeper/external-id', { rawBody: signed[i]!, headers: { 'content-type': JOSE_MEDIA_TYPE } })),
    race(t, 'POST /registrar/resolve at Hospital 2', N, () =>
      api(h2, 'POST', '/registrar/resolve', { token: grey, body: { externalIdKind: 'national-id', externalId: bob.externalId } }),
    ),
  ]);
  t.same(direct.map((a) => a.status), Array<number>(N).fill(200), 'every lookup is evaluated');
  const entry = home!.externalIds.own('national-id', bob.externalId!);
  t.ok(direct.every((a, i) => blinds[i]!.finish(a.json.evaluated as string) === entry), "each answer unblinds to bob's index entry at his home");
  t.same(
    resolved.map((a) => [a.status, a.json.participantId]),
    Array(N).fill([200, bobId]),
    "every resolve names bob's home participant",
  );
  t.equal(lookups() - before, 2 * N, 'each evaluation audited once: no record lost or doubled');
});

t.test(`the auditor's ledger check ×${N} while blocks commit: every check intact`, async (t) => {
  const audra = await login(h1, 'audra');
  const registrar = await login(h1, 'registrar');
  const height = async () => (await api(h1, 'GET', '/auditor/ledger/verify', { token: audra })).json.height as number;
  const before = await height();
  const [checks, writes] = await Promise.all([
    race(t, 'GET /auditor/ledger/verify', N, () => api(h1, 'GET', '/auditor/ledger/verify', { token: audra })),
    race(t, 'POST /registrar/activations', 4, (i) =>
      api(h1, 'POST', '/registrar/activations', {
        token: registrar,
        body: { username: `concurrent${i}`, role: 'patient', externalIdKind: 'national-id', externalId: `SYN-CONC-${String(i).padStart(6, '0')}` },
      }),
    ),
  ]);
  t.same(writes.map((a) => a.status), [201, 201, 201, 201], 'the writes beside the checks commit');
  for (const c of checks) {
    t.match(c, { status: 200, json: { ok: true, problems: [], checked: 'file' } }, 'an intact ledger');
    t.ok((c.json.height as number) >= before, `height ${c.json.height as number} ≥ ${before}`);
  }
  const after = (await api(h1, 'GET', '/auditor/ledger/verify', { token: audra })).json;
  t.match(after, { ok: true, problems: [] });
  t.ok((after.height as number) > before, 'the check after them reads the new block(s) too');
});
