/**
 * The hospital admin (issue 15, item 1), over HTTP as an admin would use it: the first admin's
 * one-time code from a 0600 file, staff added by activation code, disabled and re-enabled, a
 * certificate revoked (refused at login, by the ledger and by every hospital's gatekeeper trust), the
 * records service rotated while the gatekeeper keeps answering — and every refusal: no session, a
 * non-admin, a patient's account, the admin's own account, bad input.
 */
import { statSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { Registrar } from '../../src/contract/medrec.js';
import { toProblem } from '../../src/http/plugins/errors.js';
import { FIRST_ADMIN_CODE_FILE } from '../../src/system/system.js';
import { api, login, startTestSystem, testSystemFor, type Json } from './support.js';

const sys = await testSystemFor(t);
const { h1 } = sys;
const [h1Runtime, h2Runtime] = sys.system.hospitals as [typeof sys.system.hospitals[0], typeof sys.system.hospitals[0]];
const codeFile = join(sys.system.config.hospitals[0]!.dataDir, FIRST_ADMIN_CODE_FILE);
let rotatedCertificate = '';
const ADMIN_PASSWORD = 'the-admin-chose-this';

let admin = '';
const redeem = async (code: string, password: string) => api(h1, 'POST', '/device/activations/redeem', { body: { code, password } });

t.test('the first admin: a one-time code in a 0600 file, redeemed with a password of their own', async (t) => {
  t.equal(statSync(codeFile).mode & 0o777, 0o600, 'the code file is owner-only');
  const { username, code } = JSON.parse(readFileSync(codeFile, 'utf8')) as { username: string; code: string };
  t.equal(username, 'hospital-admin');
  const done = await redeem(code, ADMIN_PASSWORD);
  t.equal(done.status, 201, 'redeemed');
  t.equal(done.json.role, 'admin');
  t.equal((await redeem(code, 'another-password-1')).json.code, 'ACTIVATION_USED', 'the code works once');
  admin = await login(h1, 'hospital-admin', ADMIN_PASSWORD);
  const staff = await api(h1, 'GET', '/admin/staff', { token: admin });
  t.equal(staff.status, 200);
  const names = (staff.json as unknown as Json[]).map((s) => s.username);
  t.ok(names.includes('audra') && names.includes('registrar') && names.includes('hospital-admin'), 'staff and admins are listed');
  t.notOk(names.includes('records-service') || names.includes('bob'), 'neither the records service nor patients');
});

t.test('only an admin administers staff', async (t) => {
  const body = { role: 'auditor', externalIdKind: 'staff-id', externalId: 'H1.nobody' };
  const anonymous = await api(h1, 'POST', '/admin/staff', { body });
  t.equal(anonymous.status, 401);
  for (const username of ['registrar', 'dr-ada', 'audra', 'bob']) {
    const token = await login(h1, username);
    for (const [method, path, b] of [
      ['POST', '/admin/staff', body],
      ['GET', '/admin/staff', undefined],
      ['POST', '/admin/staff/audra/disable', undefined],
      ['POST', '/admin/staff/audra/revoke', { reason: 'keyCompromise' }],
      ['POST', '/admin/records-service/rotate', undefined],
    ] as const) {
      const res = await api(h1, method, path, { token, body: b });
      t.equal(res.status, 403, `${username}: ${method} ${path} → 403`);
      t.equal(res.json.code, 'ROLE_FORBIDDEN');
    }
  }
  t.notOk(h1Runtime.accounts.isDisabled('audra'), 'nothing changed');
  const h2Admin = await api(sys.h2, 'GET', '/admin/staff', { token: admin });
  t.equal(h2Admin.status, 401, "one hospital's admin token means nothing at another");
});

t.test("an added staff member's replay (Idempotency-Key) names them but never carries the one-time code", async (t) => {
  const body = { username: 'aud-idem', role: 'auditor', externalIdKind: 'staff-id', externalId: 'H1.aud-idem' };
  const headers = { 'idempotency-key': 'add-aud-idem' };
  const first = await api(h1, 'POST', '/admin/staff', { token: admin, body, headers });
  t.equal(first.status, 201);
  t.match(first.json, { code: /./, username: 'aud-idem', participantId: /^[0-9a-f]{64}$/ });
  const replay = await api(h1, 'POST', '/admin/staff', { token: admin, body, headers });
  t.equal(replay.status, 201, 'the first answer, replayed');
  t.equal(replay.json.participantId, first.json.participantId, 'the same person, not a second one');
  t.notOk('code' in replay.json, 'the code was shown once');
});

t.test('bad input and accounts an admin may not touch change nothing', async (t) => {
  const bad = [
    { role: 'patient', externalIdKind: 'staff-id', externalId: 'H1.x' },
    { role: 'admin', externalIdKind: 'staff-id', externalId: 'H1.x' },
    { role: 'auditor', externalIdKind: 'staff-id' },
    { role: 'auditor', externalIdKind: 'staff-id', externalId: 'H1.x', password: 'chosen-by-admin' },
  ];
  for (const body of bad) {
    const res = await api(h1, 'POST', '/admin/staff', { token: admin, body });
    t.equal(res.status, 400, `${JSON.stringify(body)} → 400`);
    t.match(res.type, /application\/problem\+json/);
  }
  t.equal((await api(h1, 'POST', '/admin/staff/bob/disable', { token: admin })).json.code, 'STAFF_UNKNOWN', "a patient's account is not staff");
  t.equal((await api(h1, 'POST', '/admin/staff/records-service/revoke', { token: admin, body: { reason: 'keyCompromise' } })).json.code, 'STAFF_UNKNOWN', 'the records service is rotated, not revoked');
  t.equal((await api(h1, 'POST', '/admin/staff/nobody-here/enable', { token: admin })).status, 404);
  const self = await api(h1, 'POST', '/admin/staff/hospital-admin/disable', { token: admin });
  t.equal(self.status, 409);
  t.equal(self.json.code, 'SELF_ADMINISTRATION');
  t.equal((await api(h1, 'POST', '/admin/staff/audra/revoke', { token: admin, body: { reason: 'because' } })).status, 400, 'unknown revocation reason');
  t.notOk(h1Runtime.accounts.isDisabled('bob'));
  t.notOk(h1Runtime.accounts.isDisabled('hospital-admin'));
});

t.test('an added staff member activates, is disabled, re-enabled, then revoked everywhere', async (t) => {
  const added = await api(h1, 'POST', '/admin/staff', { token: admin, body: { username: 'aud-two', role: 'auditor', externalIdKind: 'staff-id', externalId: 'H1.aud-two' } });
  t.equal(added.status, 201);
  t.equal(added.json.role, 'auditor');
  t.equal((await api(h1, 'POST', '/admin/staff', { token: admin, body: { username: 'aud-two', role: 'auditor', externalIdKind: 'staff-id', externalId: 'H1.aud-three' } })).json.code, 'USERNAME_TAKEN');
  t.equal((await redeem(added.json.code as string, 'aud-two-password')).status, 201);
  let auditor = await login(h1, 'aud-two', 'aud-two-password');
  t.match((await api(h1, 'GET', '/me', { token: auditor })).json, { sub: 'aud-two', role: 'auditor' });

  const disabled = await api(h1, 'POST', '/admin/staff/aud-two/disable', { token: admin });
  t.equal(disabled.status, 200);
  t.type(disabled.json.disabledAt, 'string');
  const open = await api(h1, 'GET', '/me', { token: auditor });
  t.equal(open.status, 403, 'the open session ends');
  t.equal(open.json.code, 'ACCOUNT_DISABLED');
  const relogin = await api(h1, 'POST', '/auth/login', { body: { username: 'aud-two', password: 'aud-two-password' } });
  t.equal(relogin.status, 403, 'a disabled account cannot log in with the right password');
  t.equal(relogin.json.code, 'ACCOUNT_DISABLED');
  const guess = await api(h1, 'POST', '/auth/login', { body: { username: 'aud-two', password: 'wrong-password-x' } });
  t.equal(guess.json.code, 'LOGIN_FAILED', 'a wrong password learns nothing about the account');

  const enabled = await api(h1, 'POST', '/admin/staff/aud-two/enable', { token: admin });
  t.equal(enabled.json.disabledAt, null);
  auditor = await login(h1, 'aud-two', 'aud-two-password');
  t.equal((await api(h1, 'GET', '/me', { token: auditor })).status, 200, 'works again');

  const account = h1Runtime.accounts.get('aud-two')!;
  const signer = { mspId: 'Hospital1MSP', certificate: account.certificate, privateKey: await h1Runtime.sealer.open(account.sealedKey, 'aud-two-password') };
  const revoked = await api(h1, 'POST', '/admin/staff/aud-two/revoke', { token: admin, body: { reason: 'keyCompromise' } });
  t.equal(revoked.status, 200);
  t.same(revoked.json, { channel: 'updated' }, 'the channel configuration already carries the CRL');
  const session = await api(h1, 'GET', '/me', { token: auditor });
  t.equal(session.json.code, 'CERTIFICATE_REVOKED', 'its session is refused');
  t.equal((await api(h1, 'POST', '/auth/login', { body: { username: 'aud-two', password: 'aud-two-password' } })).json.code, 'CERTIFICATE_REVOKED');
  const ledger = await h1Runtime.client.evaluate(signer, Registrar.whoami()).catch((err: unknown) => err);
  t.match(toProblem(ledger), { status: 403, code: 'CERTIFICATE_REVOKED' }, 'the ledger refuses it');
  for (const runtime of [h1Runtime, h2Runtime]) {
    t.match(runtime.trust.check('Hospital1MSP', account.certificate, new Date()), { ok: false, code: 'CERTIFICATE_REVOKED' }, `${runtime.hospital.mspId}'s gatekeeper refuses it`);
  }
});

t.test('rotating the records service: a new certificate, the old one refused, the gatekeeper keeps answering', async (t) => {
  const bob = h1Runtime.accounts.get('bob')!;
  const mrn = sys.system.provisioned['Hospital1MSP']!.find((u) => u.username === 'bob')!.mrn!;
  const ada = await login(h1, 'dr-ada');
  const created = await api(h1, 'POST', '/relationships', { token: ada, body: { patientId: bob.participantId, mrn } });
  t.equal(created.status, 201);
  const rel = created.json.relationshipId as string;
  const bobToken = await login(h1, 'bob');
  const fetch = () => api(h1, 'POST', '/records/fetch', { token: bobToken, body: { relationshipId: rel, category: 'Observation' } });
  t.equal((await fetch()).json.decision, 'ALLOWED_PATIENT', 'before');

  const before = h1Runtime.accounts.get('records-service')!;
  const rotated = await api(h1, 'POST', '/admin/records-service/rotate', { token: admin });
  t.equal(rotated.status, 200);
  t.match(rotated.json, { channel: 'updated', revoked: before.enrollmentId });
  const after = h1Runtime.accounts.get('records-service')!;
  t.equal(after.enrollmentId, rotated.json.enrollmentId);
  t.not(after.certificate, before.certificate, 'a new certificate');
  t.equal(after.participantId, before.participantId, 'the same participant');
  t.equal(h1Runtime.service.certificate, after.certificate, 'the gatekeeper signs with it');
  rotatedCertificate = after.certificate;
  t.match(h1Runtime.trust.check('Hospital1MSP', before.certificate, new Date()), { ok: false, code: 'CERTIFICATE_REVOKED' }, 'the old certificate is revoked');
  const answer = await fetch();
  t.equal(answer.status, 200);
  t.equal(answer.json.decision, 'ALLOWED_PATIENT', 'after: the gatekeeper answers with the new identity');
  t.equal(answer.json.hashMatches, true);
});

t.test('after a restart: the redeemed code file is gone, the admin and the rotated service remain', async (t) => {
  await sys.close();
  const again = await startTestSystem(sys.dir);
  t.teardown(() => again.close());
  t.notOk(existsSync(codeFile), 'the spent code file is removed');
  const token = await login(again.h1, 'hospital-admin', ADMIN_PASSWORD);
  t.equal((await api(again.h1, 'GET', '/admin/staff', { token })).status, 200);
  t.equal(again.system.hospitals[0]!.service.certificate, rotatedCertificate, 'the rotated records service is the one that starts');
  sys.close = async () => undefined;
});
