/**
 * npm start's invitation to the app (demo/app-invitation.ts): a newcomer gets a working activation
 * code for a patient whose two hospitals have opened relationships with her, and one for a viewer.
 * The codes are redeemed here with the client library the app uses, over HTTPS.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { GatewayClient, Wallet, enrolByActivation, listRelationships, login as deviceLogin } from '@medrec/client';
import { DEMO_REGISTRAR_PASSWORD } from '../../demo/index.js';
import { appPatient, invitationLines, inviteAppUsers } from '../../demo/app-invitation.js';
import { DEFAULT_PATIENTS } from '../../demo/seed/population.js';
import { api, login, removeDir, startTestSystem } from '../http/support.js';

const sys = await startTestSystem();
t.teardown(async () => {
  await sys.close();
  removeDir(sys.dir);
});
const options = { patients: DEFAULT_PATIENTS, registrarPassword: DEMO_REGISTRAR_PASSWORD };
const invitation = (await inviteAppUsers(sys.system, sys.gateways, options))!;

t.test('the first start issues two codes and opens the patient a relationship at each hospital', async (t) => {
  t.equal(invitation.appUrl, `${sys.h1}/app/`);
  t.match(invitation.patient, { username: 'dana', code: /^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$/ });
  t.match(invitation.viewer, { username: 'vera', code: /^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$/ });
  t.not(invitation.patient.code, invitation.viewer.code);
  t.equal(statSync(join(sys.dir, 'app-invitation.json')).mode & 0o777, 0o600, 'the codes are kept in a 0600 file');
  const printed = invitationLines(invitation).join('\n');
  t.ok(printed.includes(invitation.patient.code) && printed.includes(invitation.viewer.code) && printed.includes(invitation.appUrl), 'the banner prints both codes and the app address');
  t.notOk(printed.includes(appPatient(DEFAULT_PATIENTS).externalId), 'and not her national id');
});

t.test('a later start prints the same codes and writes nothing to the ledger', async (t) => {
  const runtime = sys.system.hospitals[0]!;
  const height = await runtime.ledger.height();
  t.same(await inviteAppUsers(sys.system, sys.gateways, options), invitation);
  t.equal(await runtime.ledger.height(), height, 'no block');
});

t.test("the patient's code enrols her device key, and both relationships wait for her", async (t) => {
  const gateway = new GatewayClient(sys.h1);
  const me = await enrolByActivation(await Wallet.fromPhrase(Wallet.newPhrase()), 'h1', gateway, invitation.patient.code);
  await deviceLogin(me, gateway);
  // What the app's contracts page reads: Summary.mine, signed on the device.
  const entries = await listRelationships(gateway, me);
  t.equal(entries.length, 2, 'one relationship per hospital');
  t.ok(entries.every((e) => e.status === 'new'), 'each waits for her decision');
  t.same(entries.map((e) => e.providerMspId).sort(), ['Hospital1MSP', 'Hospital2MSP']);
  const audra = await login(sys.h1, 'audra');
  const held = await api(sys.h1, 'GET', `/relationships/${entries[0]!.relationshipId}`, { token: audra });
  t.equal(held.json.status, 'new', "the ledger holds them so (an auditor's read)");
});

t.test("the viewer's code enrols a viewer", async (t) => {
  const gateway = new GatewayClient(sys.h1);
  const vera = await enrolByActivation(await Wallet.fromPhrase(Wallet.newPhrase()), 'h1', gateway, invitation.viewer.code);
  t.match(vera.enrolled(), { participantId: /\S/ });
  const again = await gateway.redeemActivation(invitation.viewer.code, await vera.csr(vera.enrolled().enrollmentId)).then(() => null, (err: { status?: number }) => err.status);
  t.equal(again, 409, 'each code works once');
});
