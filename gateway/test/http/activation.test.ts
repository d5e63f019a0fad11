/**
 * Enrolment ends with a secret only the person knows (issue 9, item 4). A registrar vouches for a
 * person and receives a one-time activation code; the person redeems it with a password of their
 * own, and only then is their key made and sealed under it. The code is single use, short-lived,
 * kept only as a keyed hash, and its redemption rate-limited. Password change needs the current
 * password and seals the key again. A registrar can never log in as, nor read the key of, anyone it
 * enrolled.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { api, login, testSystemFor, type Json } from './support.js';

const sys = await testSystemFor(t, undefined, {
  activationTtlSeconds: 2,
  rateLimits: { activation: { max: 14, windowSeconds: 60 } },
});
const { h1 } = sys;
const runtime = sys.system.hospitals[0]!;
const registrar = await login(h1, 'registrar', 'registrar-demo-pass');
let n = 0;
const issue = async (over: Json = {}) => {
  n++;
  const res = await api(h1, 'POST', '/registrar/activations', {
    token: registrar,
    body: { username: `person${n}`, role: 'patient', externalIdKind: 'national-id', externalId: `SYN-ACT-${String(n).padStart(6, '0')}`, ...over },
  });
  if (res.status !== 201) throw new Error(`issue → ${res.status} ${res.json.code}`);
  return res.json;
};
const redeem = (code: string, password: string) => api(h1, 'POST', '/device/activations/redeem', { body: { code, password } });

/** Every byte of every file under a directory, as text (binary included), to look for a secret in. */
function everything(dir: string): string {
  return readdirSync(dir)
    .map((name) => join(dir, name))
    .map((path) => (statSync(path).isDirectory() ? everything(path) : readFileSync(path).toString('latin1')))
    .join('\n');
}

t.test('the person redeems the code with their own password; the code works once', async (t) => {
  const issued = await issue();
  const inspected = await api(h1, 'POST', '/device/activations/inspect', { body: { code: issued.code.toLowerCase() } });
  t.equal(inspected.status, 200, 'inspect: case and dashes do not matter');
  t.match(inspected.json, { mspId: 'Hospital1MSP', username: issued.username, role: 'patient', expiresAt: issued.expiresAt });
  t.notOk(runtime.accounts.exists(issued.username), 'no account, no key before redemption');

  const redeemed = await redeem(issued.code, 'my-own-secret-pass');
  t.equal(redeemed.status, 201);
  t.match(redeemed.json, { username: issued.username, participantId: issued.participantId, identityId: issued.identityId, certificate: /BEGIN CERTIFICATE/ });
  const token = await login(h1, issued.username, 'my-own-secret-pass');
  const summary = await api(h1, 'GET', '/me/summary', { token });
  t.equal(summary.status, 200, 'the new key signs for the person');

  const twice = await redeem(issued.code, 'another-pass-123');
  t.equal(twice.status, 409);
  t.equal(twice.json.code, 'ACTIVATION_USED');
  t.equal((await api(h1, 'POST', '/device/activations/inspect', { body: { code: issued.code } })).json.code, 'ACTIVATION_USED');
  t.equal((await redeem('AAAAA-BBBBB-CCCCC-DDDDD', 'whatever-pass-1')).json.code, 'ACTIVATION_UNKNOWN');
  t.equal((await redeem('not a code at all!!', 'whatever-pass-1')).status, 400, 'a malformed code fails validation');
});

t.test('the certificate names an opaque enrollment id, never the username (docs/privacy.md)', async (t) => {
  const issued = await issue();
  t.match(issued.enrollmentId, /^e[0-9a-f]{32}$/, 'the registrar is told the opaque id');
  const redeemed = await redeem(issued.code, 'opaque-id-pass-123');
  t.equal(redeemed.status, 201);
  const { X509Certificate } = await import('node:crypto');
  const subject = new X509Certificate(redeemed.json.certificate as string).subject;
  t.match(subject, new RegExp(`CN=${issued.enrollmentId}`), 'the CN is the opaque id');
  t.notOk(subject.includes(issued.username as string), 'the username is not in the certificate');
  t.equal(runtime.accounts.get(issued.username as string)?.enrollmentId, issued.enrollmentId, 'only the gateway maps the username to it');
});

t.test('an activation issued before opaque ids (migration 10: no enrollment id, the username was it) still redeems', async (t) => {
  const issued = await issue();
  // Such a row named its CA registration by the username: make this one look like it.
  const db = new Database(join(sys.dir, 'hospital1', 'gateway.db'));
  db.prepare('UPDATE activations SET username = enrollment_id, enrollment_id = NULL WHERE participant_id = ?').run(issued.participantId);
  db.close();
  const redeemed = await redeem(issued.code, 'old-row-pass-1234');
  t.equal(redeemed.status, 201, 'redeemed');
  t.match(redeemed.json, { username: issued.enrollmentId, enrollmentId: issued.enrollmentId, participantId: issued.participantId });
  t.ok(await login(h1, issued.enrollmentId as string, 'old-row-pass-1234'), 'and the person logs in');
});

t.test('a code expires', async (t) => {
  const issued = await issue();
  await new Promise((resolve) => setTimeout(resolve, 2500));
  const late = await redeem(issued.code, 'too-late-pass-1');
  t.equal(late.status, 410);
  t.equal(late.json.code, 'ACTIVATION_EXPIRED');
  t.notOk(runtime.accounts.exists(issued.username), 'nothing was enrolled');
});

t.test('the code is stored only as a keyed hash: no file of the installation holds it', async (t) => {
  const issued = await issue();
  const plain = issued.code.replaceAll('-', '');
  const files = everything(sys.dir);
  t.notOk(files.includes(issued.code) || files.includes(plain), 'neither the code nor its plain form is on disk');
  t.equal((await redeem(issued.code, 'stored-hash-pass')).status, 201);
});

t.test('a registrar can never act as, or read the key of, anyone it enrolled', async (t) => {
  const issued = await issue();
  await redeem(issued.code, 'only-i-know-this');
  const account = runtime.accounts.get(issued.username)!;
  // Everything the registrar ever had for this person: the code, and its own password.
  for (const guess of [issued.code, issued.code.replaceAll('-', ''), 'registrar-demo-pass']) {
    const res = await api(h1, 'POST', '/auth/login', { body: { username: issued.username, password: guess } });
    t.equal(res.status, 401, `cannot log in as the person with ${guess === 'registrar-demo-pass' ? 'its own password' : 'what it was given'}`);
    await t.rejects(runtime.sealer.open(account.sealedKey, guess), 'nor unseal their key with it');
  }
  t.equal((await redeem(issued.code, 'registrar-takes-over')).json.code, 'ACTIVATION_USED', 'nor redeem the code again');
  const reissue = await api(h1, 'POST', '/registrar/activations', {
    token: registrar,
    body: { username: `${issued.username}-again`, role: 'patient', externalIdKind: 'national-id', externalId: `SYN-ACT-${String(n).padStart(6, '0')}` },
  });
  t.equal(reissue.status, 409, 'nor issue itself a second code for the same person');
  const asPatient = await api(h1, 'POST', `/relationships/${'a'.repeat(64)}/accept`, { token: registrar });
  t.equal(asPatient.json.code, 'ROLE_FORBIDDEN', "its own session cannot take a patient's decisions");
  const change = await api(h1, 'POST', '/auth/password', { token: registrar, body: { currentPassword: 'only-i-know-this', newPassword: 'registrar-chosen' } });
  t.not(change.status, 204, "and a password change touches only the caller's own account");
  t.ok(await runtime.sealer.open(runtime.accounts.get(issued.username)!.sealedKey, 'only-i-know-this'), "the person's key is still sealed under their own password only");
  const doc = await api(h1, 'GET', '/docs/json');
  const leaks = JSON.stringify([await api(h1, 'GET', '/me', { token: registrar }), doc]);
  t.notOk(/PRIVATE KEY|sealedKey|sealed_key/.test(leaks), 'no route shows a sealed or plain key');
  const registrarTakes = Object.entries(doc.json.paths as Record<string, Record<string, Json>>)
    .filter(([path]) => path.startsWith('/registrar/'))
    .flatMap(([path, ops]) => Object.values(ops).filter((op) => JSON.stringify(op.requestBody ?? {}).includes('"password"')).map(() => path));
  t.same(registrarTakes, [], 'no registrar route takes a password for someone else');
  const old = await api(h1, 'POST', '/registrar/users', { token: registrar, body: { username: 'chosen', password: 'registrar-chosen-1', role: 'patient', externalIdKind: 'national-id', externalId: 'SYN-ACT-X' } });
  t.equal(old.json.code, 'ROUTE_NOT_FOUND', 'enrolment with a registrar-chosen password is gone');
});

t.test('password change: the current password is required, the key is sealed again, other sessions end', async (t) => {
  const issued = await issue();
  await redeem(issued.code, 'first-password-1');
  const mine = await login(h1, issued.username, 'first-password-1');
  const other = await login(h1, issued.username, 'first-password-1');
  const wrong = await api(h1, 'POST', '/auth/password', { token: mine, body: { currentPassword: 'not-my-password', newPassword: 'second-password-2' } });
  t.equal(wrong.status, 401);
  t.equal(wrong.json.code, 'PASSWORD_WRONG');
  const changed = await api(h1, 'POST', '/auth/password', { token: mine, body: { currentPassword: 'first-password-1', newPassword: 'second-password-2' } });
  t.equal(changed.status, 204);
  t.equal((await api(h1, 'POST', '/auth/login', { body: { username: issued.username, password: 'first-password-1' } })).status, 401, 'the old password is gone');
  const fresh = await login(h1, issued.username, 'second-password-2');
  t.equal((await api(h1, 'GET', '/me/summary', { token: fresh })).status, 200, 'the key re-sealed under the new password signs');
  t.equal((await api(h1, 'GET', '/me/summary', { token: mine })).status, 200, 'the session that changed it goes on');
  const ended = await api(h1, 'GET', '/me', { token: other });
  t.equal(ended.status, 401, 'every other session ended');
  t.equal(ended.json.code, 'SESSION_ENDED');
  await t.rejects(runtime.sealer.open(runtime.accounts.get(issued.username)!.sealedKey, 'first-password-1'), 'the key no longer opens with the old password');
});

t.test('redemption is rate-limited per address', async (t) => {
  const codes: number[] = [];
  for (let i = 0; i < 15; i++) codes.push((await redeem('ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ', 'guessing-pass-1')).status);
  t.ok(codes.includes(404), 'guesses are refused as unknown codes');
  const limited = await redeem('ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ', 'guessing-pass-1');
  t.equal(limited.status, 429);
  t.equal(limited.json.code, 'RATE_LIMITED');
  const metrics = await (await fetch(`${h1}/metrics`)).text();
  t.match(metrics, /medrec_rate_limited_total\{[^}]*limit="activation"[^}]*\} [1-9]/);
});
