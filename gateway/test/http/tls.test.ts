/**
 * TLS between hospitals (system/tls.ts): the gateways serve HTTPS with certificates of their
 * hospital's TLS CA, and a gateway calling a gatekeeper trusts only the channel members' TLS roots,
 * with the host name checked — against real sockets, the embedded ledger's channel configuration
 * and servers holding certificates the channel does not vouch for.
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:https';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { isGatekeeperAnswer } from '@medrec/client/protocol';
import { EmbeddedTlsCa } from '../../src/adapters/identity/embedded/tls-ca.js';
import { postToGatekeeper } from '../../src/services/gatekeeper/requester.js';
import { loadConfig } from '../../src/system/config.js';
import type { EmbeddedLedger } from '../../src/adapters/ledger/embedded/index.js';
import { api, isoIn, login, removeDir, startTestSystem, treatUnderDelegate } from './support.js';
import { problemOf } from '../support/problem.js';

t.setTimeout(240_000);

const sys = await startTestSystem();
const scratch = mkdtempSync(join(tmpdir(), 'medrec-tls-'));
t.teardown(async () => {
  await sys.close();
  removeDir(sys.dir);
  removeDir(scratch);
});
const [g1, g2] = sys.gateways as [(typeof sys.gateways)[0], (typeof sys.gateways)[0]];
const transport = g1.runtime.gatekeepers;

/** An HTTPS server with this certificate that counts the requests that reached it. */
async function serverWith(credentials: { cert: string; key: string }): Promise<{ url: string; requests: () => number; server: Server }> {
  let requests = 0;
  const server = createServer(credentials, (req, res) => {
    requests++;
    req.resume();
    res.writeHead(403, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ code: 'STAND_IN_REACHED', detail: 'the request got through' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address() as { port: number };
  return { url: `https://127.0.0.1:${address.port}`, requests: () => requests, server };
}


const ask = (url: string) => postToGatekeeper(new URL(`${url}/gatekeeper/query`), 'a.b.c', transport, isGatekeeperAnswer);

t.test('the gateways serve HTTPS with their hospital TLS CA; the CA file for curl is written', async (t) => {
  t.match(sys.h1, /^https:\/\/127\.0\.0\.1:\d+$/);
  t.match(sys.h2, /^https:\/\/127\.0\.0\.1:\d+$/);
  t.equal((await api(sys.h1, 'GET', '/ready')).status, 200, 'a client trusting tls-ca.pem reaches the gateway');
  await t.rejects(fetch(sys.h1.replace('https:', 'http:') + '/ready', { signal: AbortSignal.timeout(5_000) }), 'plain HTTP is not served');
  const file = sys.system.tlsRootsFile!;
  t.equal(file, join(sys.dir, 'tls-ca.pem'));
  t.equal(statSync(file).mode & 0o777, 0o600);
  const bundle = readFileSync(file, 'utf8');
  const members = await sys.system.ledger.channelMembers();
  t.equal(members.length, 2);
  for (const m of members) {
    t.equal(m.tlsRootCertificates?.length, 1, `${m.mspId}: the channel lists its TLS root`);
    t.ok(bundle.includes(m.tlsRootCertificates![0]!.trim()), `${m.mspId}: its TLS root is in tls-ca.pem`);
    t.notOk(m.caCertificates.includes(m.tlsRootCertificates![0]!), 'a TLS CA of its own, not the identity CA');
  }
});

t.test("happy path: Hospital 1's viewer fetches a patient's records from Hospital 2 over verified HTTPS", async (t) => {
  const grey = await login(sys.h2, 'dr-grey');
  const aliceUser = sys.system.provisioned['Hospital1MSP']!.find((u) => u.username === 'alice')!;
  // Hospital 2 treats her under its delegate (docs/privacy.md §3), an account there of hers
  const alice = await treatUnderDelegate(sys.h2, await login(sys.h2, 'registrar', 'registrar-demo-pass'), grey, aliceUser.alsoAt!.mrn, 'alice-at-h2-pass');
  const rel = alice.relationshipId;
  t.equal((await api(sys.h2, 'POST', `/relationships/${rel}/accept`, { token: alice.token })).status, 200);
  const own = await api(sys.h2, 'POST', '/records/fetch', { token: alice.token, body: { relationshipId: rel, category: 'Observation' } });
  t.equal(own.status, 200, own.text);
  t.equal(own.json.gatekeeper, sys.h2, "Hospital 2's gatekeeper, at its https endpoint");
  t.equal(own.json.check.matches, true);
  const victor = await login(sys.h1, 'victor');
  const victorId = (await api(sys.h1, 'GET', '/me', { token: victor })).json.participantId as string;
  const grant = { viewerId: victorId, items: [{ category: 'Observation', fields: ['code'] }], validUntil: isoIn(3_600_000), purpose: 'FAMRQT' };
  t.equal((await api(sys.h2, 'POST', `/relationships/${rel}/grants`, { token: alice.token, body: grant })).status, 201);
  const fetched = await api(sys.h1, 'POST', '/records/fetch', { token: victor, body: { relationshipId: rel, category: 'Observation', fields: ['code'] } });
  t.equal(fetched.status, 200, fetched.text);
  t.equal(fetched.json.gatekeeper, sys.h2, "Hospital 1's gateway asked Hospital 2's gatekeeper, at its https endpoint");
  t.equal(fetched.json.decision, 'ALLOWED_VIEWER');
});

t.test('a gatekeeper whose certificate no channel member issued is refused before any request is sent', async (t) => {
  const rogueCa = await EmbeddedTlsCa.open(join(scratch, 'rogue'), 'Not a member');
  const rogue = await serverWith(await rogueCa.issueServer(['127.0.0.1', 'localhost']));
  const refused = await problemOf(ask(rogue.url));
  t.same(refused, { status: 502, code: 'GATEKEEPER_TLS_UNTRUSTED' });
  t.equal(rogue.requests(), 0, 'no request (no signed request, no data) reached it');

  // The trust is the channel's: once a member lists that CA as a TLS root, the same server is trusted.
  const ledger = sys.system.ledger as EmbeddedLedger;
  const before = (await ledger.channelMembers()).find((m) => m.mspId === 'Hospital2MSP')!;
  await ledger.updateMember({ ...before, tlsRootCertificates: [...before.tlsRootCertificates!, rogueCa.certificate] });
  t.same(await problemOf(ask(rogue.url)), { status: 403, code: 'STAND_IN_REACHED' }, 'trusted after the configuration update');
  await ledger.updateMember(before);
  t.same(await problemOf(ask(rogue.url)), { status: 502, code: 'GATEKEEPER_TLS_UNTRUSTED' }, 'and refused again once the channel drops it');
  t.equal(rogue.requests(), 1, 'only the trusted call reached it');
});

t.test('with TLS on, a plain http:// endpoint on the ledger is refused (502) and no request is sent', async (t) => {
  let requests = 0;
  const plain = createHttpServer((req, res) => {
    requests++;
    req.resume();
    res.writeHead(403, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ code: 'STAND_IN_REACHED', detail: 'the request got through' }));
  });
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => plain.close(() => resolve())));
  const url = `http://127.0.0.1:${(plain.address() as { port: number }).port}`;
  t.same(await problemOf(ask(url)), { status: 502, code: 'GATEKEEPER_NOT_HTTPS' });
  t.equal(requests, 0, 'no signed request reached the plain server');
  const direct = await problemOf(transport.fetch(new URL(`${url}/gatekeeper/query`), { method: 'POST', body: 'a.b.c' }));
  t.same(direct, { status: 502, code: 'GATEKEEPER_NOT_HTTPS' }, 'the transport itself refuses, for every caller (relay, research, audit)');
  t.equal(requests, 0);
});

t.test('with TLS on, a hospital may not publish a plain http:// endpoint', async (t) => {
  t.throws(() => loadConfig({}, { hospitals: [{ publicUrl: 'http://gateway.hospital1.test:3001' }] }), { name: 'ConfigError', message: /publicUrl must be https/ });
  t.match(loadConfig({ MEDREC_TLS: 'false' }, { hospitals: [{ publicUrl: 'http://gateway.hospital1.test:3001' }] }).hospitals[0], {
    publicUrl: 'http://gateway.hospital1.test:3001',
  }, 'plain HTTP stays possible with TLS off');
  t.equal(g1.runtime.hospital.publicUrl.startsWith('https://'), true, 'the running gateway publishes https');
});

t.test("a certificate of a member's TLS CA for another host name is refused", async (t) => {
  const h2Ca = await EmbeddedTlsCa.open(join(sys.system.config.hospitals[1]!.dataDir, 'tls-ca'), g2.runtime.hospital.name);
  const elsewhere = await serverWith(await h2Ca.issueServer(['gateway.elsewhere.test']));
  t.same(await problemOf(ask(elsewhere.url)), { status: 502, code: 'GATEKEEPER_TLS_HOSTNAME' });
  t.equal(elsewhere.requests(), 0);
  const right = await serverWith(await h2Ca.issueServer(['127.0.0.1']));
  t.same(await problemOf(ask(right.url)), { status: 403, code: 'STAND_IN_REACHED' }, 'the same CA, the right name: reached');
});

t.test('a gateway restarted on the same data keeps its TLS CA (the channel entry stays valid)', async (t) => {
  const again = await EmbeddedTlsCa.open(join(sys.system.config.hospitals[0]!.dataDir, 'tls-ca'), g1.runtime.hospital.name);
  const listed = (await sys.system.ledger.channelMembers()).find((m) => m.mspId === 'Hospital1MSP')!;
  t.same(listed.tlsRootCertificates, [again.certificate]);
});
