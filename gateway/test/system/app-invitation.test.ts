/**
 * npm start's invitation to the app (demo/app-invitation.ts): a newcomer gets a working activation
 * code for a patient, a delegate code from each of her two hospitals, which have opened a relationship
 * with that delegate (docs/privacy.md §3), and a code for a viewer. The codes are redeemed here with
 * the client library the app uses, over HTTPS.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { GatewayClient, Wallet, assembleSummary, enrolByActivation, enrolDelegate, listRelationships, login as deviceLogin, type WalletIdentity } from '@medrec/client';
import { DEMO_REGISTRAR_PASSWORD } from '../../demo/index.js';
import { appPatient, invitationLines, inviteAppUsers } from '../../demo/app-invitation.js';
import { DEFAULT_PATIENTS } from '../../demo/seed/population.js';
import { api, login, testSystemFor } from '../http/support.js';

const sys = await testSystemFor(t);
const options = { patients: DEFAULT_PATIENTS, registrarPassword: DEMO_REGISTRAR_PASSWORD };
const invitation = (await inviteAppUsers(sys.system, sys.gateways, options))!;

t.test('the first start issues two codes and opens the patient a relationship at each hospital', async (t) => {
  t.equal(invitation.appUrl, `${sys.h1}/app/`);
  t.match(invitation.patient, { username: 'dana', code: /^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$/ });
  t.match(invitation.viewer, { username: 'vera', code: /^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$/ });
  t.not(invitation.patient.code, invitation.viewer.code);
  t.same(invitation.delegates!.map((d) => d.mspId), ['Hospital1MSP', 'Hospital2MSP'], 'a delegate code from each hospital that treats her');
  t.equal(new Set([invitation.patient.code, ...invitation.delegates!.map((d) => d.code)]).size, 3);
  t.equal(statSync(join(sys.dir, 'app-invitation.json')).mode & 0o777, 0o600, 'the codes are kept in a 0600 file');
  const printed = invitationLines(invitation).join('\n');
  t.ok(printed.includes(invitation.patient.code) && printed.includes(invitation.viewer.code) && printed.includes(invitation.appUrl), 'the banner prints both codes and the app address');
  t.ok(invitation.delegates!.every((d) => printed.includes(d.code)), "and each hospital's delegate code");
  t.notOk(printed.includes(appPatient(DEFAULT_PATIENTS).externalId), 'and not her national id');
});

t.test('a later start prints the same codes and writes nothing to the ledger', async (t) => {
  const runtime = sys.system.hospitals[0]!;
  const height = await runtime.ledger.height();
  t.same(await inviteAppUsers(sys.system, sys.gateways, options), invitation);
  t.equal(await runtime.ledger.height(), height, 'no block');
});

t.test("the patient's codes enrol her device key and a delegate per hospital; both relationships wait for her", async (t) => {
  const wallet = await Wallet.fromPhrase(Wallet.newPhrase());
  const home = new GatewayClient(sys.h1);
  const me = await enrolByActivation(wallet, 'h1', home, invitation.patient.code);
  await deviceLogin(me, home);
  t.same(await listRelationships(home, me), [], 'her home identity is party to none of them');
  const sessions = new Map<string, GatewayClient>([[me.name, home]]);
  for (const d of invitation.delegates!) {
    const at = new GatewayClient(d.mspId === 'Hospital1MSP' ? sys.h1 : sys.h2);
    const delegate = await enrolDelegate(wallet, at, d.code);
    await deviceLogin(delegate, at);
    sessions.set(delegate.name, at);
  }
  // What the app's contracts page reads: every identity's Summary.mine, each signed on the device.
  const entries = await assembleSummary(wallet, (i: WalletIdentity) => sessions.get(i.name)!);
  t.equal(entries.length, 2, 'one relationship per hospital');
  t.ok(entries.every((e) => e.status === 'new'), 'each waits for her decision');
  t.same(entries.map((e) => e.providerMspId).sort(), ['Hospital1MSP', 'Hospital2MSP']);
  t.equal(new Set(entries.map((e) => e.identity)).size, 2, 'each held by its own delegate');
  const audra = await login(sys.h1, 'audra');
  const held = await Promise.all(entries.map(async (e) => (await api(sys.h1, 'GET', `/relationships/${e.relationshipId}`, { token: audra })).json));
  t.same(held.map((r) => r.status), ['new', 'new'], "the ledger holds them so (an auditor's read)");
  t.not(held[0].patientId, held[1].patientId, 'under two unrelated patient ids');
  t.notOk(held.some((r) => r.patientId === me.enrolled().participantId), 'neither her home id');
});

t.test("the viewer's code enrols a viewer", async (t) => {
  const gateway = new GatewayClient(sys.h1);
  const vera = await enrolByActivation(await Wallet.fromPhrase(Wallet.newPhrase()), 'h1', gateway, invitation.viewer.code);
  t.match(vera.enrolled(), { participantId: /\S/ });
  const again = await gateway.redeemActivation(invitation.viewer.code, await vera.csr(vera.enrolled().enrollmentId)).then(() => null, (err: { status?: number }) => err.status);
  t.equal(again, 409, 'each code works once');
});
