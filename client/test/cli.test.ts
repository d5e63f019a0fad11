/**
 * The `medrec` CLI as a person runs it (a child process). Local commands run for real; remote ones
 * against the protocol stand-in (support/protocol-server.ts), since the gateway routes do not exist yet.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { webcrypto } from 'node:crypto';
import t from 'tap';
import * as x509 from '@peculiar/x509';
import { PASSPHRASE, testCa } from './support/fixtures.js';
import { protocolServer } from './support/protocol-server.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const dir = await mkdtemp(join(tmpdir(), 'medrec-cli-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
  json: () => Record<string, unknown>;
}

function medrec(args: string[], options: { wallet?: string; passphrase?: string | null; stdin?: string } = {}): Promise<Result> {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], MEDREC_WALLET: options.wallet ?? join(dir, 'wallet.json'), MEDREC_WALLET_KDF_LOGN: '10' };
  if (options.passphrase !== null) env['MEDREC_PASSPHRASE'] = options.passphrase ?? PASSPHRASE;
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr, json: () => JSON.parse(stdout) as Record<string, unknown> });
    });
    child.stdin!.end(options.stdin ?? '');
  });
}

const ca = await testCa('Hospital1MSP');
const server = await protocolServer(ca, 'p-7f3a9c');
t.teardown(() => server.close());

t.test('local commands: init prints the phrase once, the wallet is 0600, unlock needs the passphrase', async (t) => {
  const init = await medrec(['init']);
  t.equal(init.code, 0, init.stderr);
  enrolledPhrase = String(init.json()['phrase']);
  t.equal(enrolledPhrase.split(' ').length, 12);
  t.equal((await stat(join(dir, 'wallet.json'))).mode & 0o777, 0o600);
  const again = await medrec(['init']);
  t.equal(again.code, 2, 'a second init does not overwrite the wallet');
  t.match(again.stderr, /WALLET_EXISTS/);

  t.equal((await medrec(['unlock'])).code, 0);
  const piped = await medrec(['unlock'], { passphrase: null, stdin: `${PASSPHRASE}\n` });
  t.equal(piped.code, 0, 'the passphrase can be piped on stdin');
  const wrong = await medrec(['unlock'], { passphrase: 'not the passphrase' });
  t.equal(wrong.code, 2);
  t.match(wrong.stderr, /^medrec: WRONG_PASSPHRASE: /);
  t.equal((await medrec(['fly'])).code, 64, 'unknown command: usage error');
  t.equal((await medrec(['show', '--bogus'])).code, 64, 'unknown option: usage error');
  t.match((await medrec(['help'])).stdout, /medrec <command>/);
});

let publicKey: unknown;
let enrolledPhrase = '';

t.test('remote: enrol by activation code with a CSR; the code works once', async (t) => {
  const enrol = await medrec(['enrol', 'h1', '--code', server.code, '--gateway', server.url]);
  t.equal(enrol.code, 0, enrol.stderr);
  const identity = enrol.json() as { enrollment: { enrollmentId: string; certificate: string }; publicKey: unknown; uri: string };
  t.equal(identity.enrollment.enrollmentId, 'p-7f3a9c');
  t.equal(identity.uri, 'medrec://identity/Hospital1MSP');
  publicKey = identity.publicKey;
  const again = await medrec(['enrol', 'h1', '--code', server.code, '--gateway', server.url]);
  t.equal(again.code, 2);
  t.match(again.stderr, /ACTIVATION_USED/);
  t.equal((await medrec(['enrol', 'h2', '--code', 'wrong-code', '--gateway', server.url])).code, 2, 'an unknown code is refused');

  const shown = await medrec(['show']);
  t.same((shown.json() as { publicKey: unknown }).publicKey, publicKey, 'show prints the enrolled identity');
  const csr = new x509.Pkcs10CertificateRequest((await medrec(['csr', '--cn', 'p-7f3a9c'])).stdout);
  t.ok(await csr.verify(webcrypto as never), 'csr prints a valid request');
});

t.test('remote: list, accept, grant, revoke — every signature made in the CLI process, checked by the stand-in', async (t) => {
  const list = await medrec(['list']);
  t.equal(list.code, 0, list.stderr);
  t.match(JSON.parse(list.stdout), [{ relationshipId: server.relationshipId, status: 'new' }]);

  const accept = await medrec(['accept', server.relationshipId]);
  t.equal(accept.code, 0, accept.stderr);
  t.match(accept.json(), { status: 'VALID', result: '{"ok":"Relationship:accept"}' });
  const viewer = 'cd'.repeat(32);
  const grant = await medrec(['grant', server.relationshipId, viewer, '--category', 'Observation', '--fields', 'code,valueQuantity', '--until', '2030-01-01', '--purpose', 'TREAT']);
  t.equal(grant.code, 0, grant.stderr);
  const revoke = await medrec(['revoke', server.relationshipId, viewer]);
  t.equal(revoke.code, 0, revoke.stderr);
  t.same(
    server.recorded.committed.map((c) => c.args[0]),
    ['Relationship:accept', 'Relationship:grant', 'Relationship:revoke'],
  );
  t.same(JSON.parse(server.recorded.committed[1]!.args[3]!), {
    items: [{ category: 'Observation', fields: ['code', 'valueQuantity'] }],
    validUntil: '2030-01-01T00:00:00.000Z',
    purpose: 'TREAT',
  });
  t.ok(
    server.recorded.committed.every((c) => c.proposalSignatureOk && c.envelopeSignatureOk && c.commitSignatureOk),
    'proposal, envelope and commit-status signatures all verify (low-S) with the enrolled certificate',
  );
  t.equal((await medrec(['accept'])).code, 64, 'a missing relationship id is a usage error');
});

t.test('remote: fetch opens the sealed answer on the device; verify fails on a ledger mismatch', async (t) => {
  const fetched = await medrec(['fetch', server.relationshipId, 'Observation']);
  t.equal(fetched.code, 0, fetched.stderr);
  t.match(fetched.json(), { check: { matches: true }, answer: { bundle: { entry: [{ resource: { id: 'obs-1' } }] } } });
  t.notMatch(server.recorded.relayed.join('\n'), /Glucose|obs-1/, 'the relay carried ciphertext only');
  t.equal((await medrec(['verify', server.relationshipId, 'Observation'])).code, 0);
  server.ledgerHash = '0'.repeat(64);
  const mismatch = await medrec(['verify', server.relationshipId, 'Observation']);
  t.equal(mismatch.code, 3, 'verify exits 3 when the records do not match the ledger');
  t.match(mismatch.json(), { check: { matches: false } });
});

t.test('recover: the phrase on a new device re-derives the enrolled key', async (t) => {
  const phraseWallet = join(dir, 'first.json');
  const init = await medrec(['init'], { wallet: phraseWallet });
  const phrase = String(init.json()['phrase']);
  await medrec(['add-identity', 'h1', '--msp', 'Hospital1MSP'], { wallet: phraseWallet });
  const second = join(dir, 'second.json');
  const recover = await medrec(['recover', '--phrase', phrase], { wallet: second, passphrase: 'another device passphrase' });
  t.equal(recover.code, 0, recover.stderr);
  t.notOk('phrase' in recover.json(), 'a given phrase is not printed back');
  await medrec(['add-identity', 'h1', '--msp', 'Hospital1MSP'], { wallet: second, passphrase: 'another device passphrase' });
  const a = (await medrec(['show', 'h1'], { wallet: phraseWallet })).json();
  const b = (await medrec(['show', 'h1'], { wallet: second, passphrase: 'another device passphrase' })).json();
  t.same(b['publicKey'], a['publicKey']);
  t.equal(b['path'], a['path']);
  const stranger = await medrec(['recover-certificate', 'h1', '--msp', 'Hospital1MSP', '--gateway', server.url], { wallet: second, passphrase: 'another device passphrase' });
  t.equal(stranger.code, 2, 'a key the CA never certified gets no certificate');
  t.match(stranger.stderr, /UNKNOWN_KEY/);
  const bad = await medrec(['recover', '--phrase', 'one two three'], { wallet: join(dir, 'bad.json') });
  t.equal(bad.code, 2);
  t.match(bad.stderr, /INVALID_PHRASE/);
});

t.test('recover: a new device with the enrolled phrase gets its certificate back and signs valid transactions', async (t) => {
  const device = join(dir, 'new-device.json');
  const options = { wallet: device, passphrase: 'new device passphrase' };
  t.equal((await medrec(['recover', '--phrase', enrolledPhrase], options)).code, 0);
  const recovered = await medrec(['recover-certificate', 'h1', '--msp', 'Hospital1MSP', '--gateway', server.url], options);
  t.equal(recovered.code, 0, recovered.stderr);
  t.match(recovered.json(), { enrollment: { enrollmentId: 'p-7f3a9c' } });
  t.same(recovered.json()['publicKey'], publicKey, 'the key enrolled on the first device');
  const before = server.recorded.committed.length;
  const acknowledge = await medrec(['acknowledge', server.relationshipId], options);
  t.equal(acknowledge.code, 0, acknowledge.stderr);
  t.match(server.recorded.committed[before], { args: ['Summary:acknowledge', server.relationshipId], proposalSignatureOk: true, envelopeSignatureOk: true, commitSignatureOk: true });
});
