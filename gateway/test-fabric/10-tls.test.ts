/**
 * TLS between hospitals on the real network: the gateways fabric:up started serve HTTPS with the
 * certificate their Fabric CA issued under its tls profile, the channel configuration block carries
 * each MSP's tls_root_certs, and a gateway's gatekeeper client built from that block (the product's
 * own, system/tls.ts) reaches the other hospital's gatekeeper and refuses a server the channel does
 * not vouch for. The cross-hospital fetch itself runs over it in 2-rest.test.ts.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { isIP } from 'node:net';
import { connect, type PeerCertificate } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { isGatekeeperAnswer } from '@medrec/client/protocol';
import { EmbeddedTlsCa } from '../src/adapters/identity/embedded/tls-ca.js';
import { postToGatekeeper } from '../src/services/gatekeeper/requester.js';
import { GatekeeperTls } from '../src/system/tls.js';
import { hospital, loadNetwork, openLedger } from './network.js';
import { problemOf } from '../test/support/problem.js';


function peerCertificate(url: string): Promise<PeerCertificate> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), ...(isIP(hostname) ? {} : { servername: hostname }), rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate());
      socket.end();
    });
    socket.on('error', reject);
  });
}

t.test("the gateways' HTTPS certificates chain to the channel's TLS roots, and only those are trusted", async (t) => {
  const network = loadNetwork();
  const h1 = hospital(network, 'Hospital1');
  const h2 = hospital(network, 'Hospital2');
  const ledger = await openLedger(network, h1);
  const scratch = mkdtempSync(join(tmpdir(), 'medrec-fabric-tls-'));
  t.teardown(async () => {
    await ledger.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  const members = await ledger.channelMembers();
  for (const h of [h1, h2]) {
    const member = members.find((m) => m.mspId === h.mspId)!;
    const orgTlsCa = readFileSync(h.peer.tlsCaCert, 'utf8');
    t.same(member.tlsRootCertificates!.map((c) => c.trim()), [orgTlsCa.trim()], `${h.mspId}: the configuration block's tls_root_certs`);
    t.match(h.gatewayUrl, /^https:\/\//);
    const served = new X509Certificate((await peerCertificate(h.gatewayUrl)).raw);
    t.ok(served.verify(new X509Certificate(orgTlsCa).publicKey), `${h.mspId}: its gateway's certificate is issued by its Fabric CA's TLS root`);
  }

  const { tls, stop } = await GatekeeperTls.follow(ledger, true);
  t.teardown(stop);
  const transport = { fetch: tls.fetch, timeoutMs: 10_000 };
  const ask = (url: string) => postToGatekeeper(new URL(`${url}/gatekeeper/query`), 'a.b.c', transport, isGatekeeperAnswer);
  const reached = await problemOf(ask(h2.gatewayUrl));
  t.ok(reached.status >= 400 && reached.status < 500, `Hospital 2's gatekeeper answered (${reached.status} ${reached.code}, its refusal of a malformed request): the handshake verified`);

  const rogueCa = await EmbeddedTlsCa.open(join(scratch, 'rogue'), 'Not a member');
  let requests = 0;
  const rogue = createServer(await rogueCa.issueServer(['127.0.0.1', 'localhost']), (_req, res) => {
    requests++;
    res.end('{}');
  });
  await new Promise<void>((resolve) => rogue.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => rogue.close(() => resolve())));
  const port = (rogue.address() as { port: number }).port;
  t.same(await problemOf(ask(`https://127.0.0.1:${port}`)), { status: 502, code: 'GATEKEEPER_TLS_UNTRUSTED' });
  t.equal(requests, 0, 'nothing was sent to it');
});
