/**
 * A hospital added by its delegate code, through the app (issue 14, docs/privacy.md §3), in headless
 * Chromium against a real two-hospital system on port 0 (embedded ledger, real chaincode, nothing
 * mocked). Dana is at home at Hospital 1; Hospital 2 treats her too, and its registrar gives her a
 * code. Her device derives a key for that one relationship, redeems the code at Hospital 2's gateway
 * (the page calls it directly, allowed by CORS for the consortium's origins), keeps the delegate in
 * its sealed wallet, and from then on signs that relationship's consent, grants and record requests
 * with it there. Her summary and live notifications are merged in the page from both identities.
 * Refusals: a wrong code, a code taken to the wrong hospital, a home activation code (the inspect
 * answer says its kind), a used code: a plain sentence, nothing
 * changed. On the ledger the two relationships name two unrelated patient ids. A new device recovers
 * the delegate from the phrase; with Hospital 2's gateway down, Hospital 1's records still show.
 */
import t from 'tap';
import { AxeBuilder } from '@axe-core/playwright';
import { api, login, removeDir, startTestSystem } from '../../gateway/dist/test/http/support.js';
import { demoPatients } from '../../gateway/dist/demo/seed/population.js';
import { DEMO_REGISTRAR_PASSWORD } from '../../gateway/dist/demo/index.js';
import { CONTEXT, WAIT, activateInApp, cannotRun, launch } from './support.mjs';

if (!cannotRun(t)) t.test('a second hospital added by its delegate code, through the app', (t) => walk(t));

async function walk(t) {
  // The browsers and this test's own inspections share one address: room for all of them in a minute.
  const sys = await startTestSystem(undefined, { rateLimits: { activation: { max: 100, windowSeconds: 60 } } }, { changePollMs: false });
  const { h1, h2 } = sys;
  const browsers = [];
  t.teardown(async () => {
    for (const b of browsers) await b.close().catch(() => undefined);
    await sys.close();
    removeDir(sys.dir);
  });

  const person = demoPatients('hospital1').filter((p) => p.alsoAt)[1];
  const registrar1 = await login(h1, 'registrar', DEMO_REGISTRAR_PASSWORD);
  const registrar2 = await login(h2, 'registrar', DEMO_REGISTRAR_PASSWORD);
  const auditor = await login(h1, 'audra');
  const home = await api(h1, 'POST', '/registrar/activations', {
    token: registrar1,
    body: { username: 'dana', role: 'patient', externalIdKind: 'national-id', externalId: person.externalId },
  });
  t.equal(home.status, 201, 'Hospital 1 (her home) gives her an activation code');
  const delegate = await api(h2, 'POST', '/registrar/delegates', { token: registrar2, body: { mrn: person.alsoAt.mrn } });
  t.equal(delegate.status, 201, "Hospital 2's registrar registers a delegate for its chart of her and gives her its code");
  const codeUnused = async () => (await api(h2, 'POST', '/device/activations/inspect', { body: { code: delegate.json.code } })).status === 200;

  const urls = [];
  const context = await (await launch(browsers)).newContext(CONTEXT);
  context.on('request', (r) => urls.push(r.url()));
  const dana = await context.newPage();
  const passphrase = 'correct horse battery';
  /** axe-core on the page as it is now: no serious or critical violation. */
  const accessible = async (t, page, name) => {
    const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    t.same(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [], `${name}: no serious or critical accessibility violation`);
  };
  const heldHospitals = async () => (await dana.locator('ul.identities li').allTextContents()).map((s) => s.replace(/ —.*/, ''));
  const storedWallet = () =>
    dana.evaluate(
      () =>
        new Promise((resolve, reject) => {
          const open = indexedDB.open('medrec-wallet', 1);
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const get = open.result.transaction('wallets').objectStore('wallets').get('default');
            get.onsuccess = () => {
              open.result.close();
              resolve(get.result);
            };
            get.onerror = () => reject(get.error);
          };
        }),
    );

  let phrase = '';
  await t.test('she activates at home, then opens "Add a hospital"', async (t) => {
    phrase = await activateInApp(dana, h1, home.json.code, passphrase);
    await dana.getByRole('heading', { name: 'My records' }).waitFor(WAIT);
    await dana.getByRole('link', { name: 'Contracts' }).click();
    await dana.getByRole('link', { name: 'Add a hospital' }).click();
    await dana.getByRole('heading', { name: 'Add a hospital' }).waitFor(WAIT);
    t.same(await heldHospitals(), ['Hospital 1'], 'only her home identity so far');
  });

  const refusedWith = async (hospital, code) => {
    await dana.getByLabel('Hospital that gave you the code').selectOption({ label: hospital });
    await dana.getByLabel('Code from that hospital’s registrar').fill(code);
    await dana.getByRole('button', { name: 'Add hospital' }).click();
    return (await dana.getByRole('alert').textContent(WAIT)) ?? '';
  };

  await t.test('refused: a wrong code, the right code taken to the wrong hospital, a home activation code; nothing changes', async (t) => {
    const before = await storedWallet();
    t.match(await refusedWith('Hospital 2', '0000000000000000000000'), /not known/, 'a wrong code: a plain sentence');
    t.match(await refusedWith('Hospital 1', delegate.json.code), /not known/, "Hospital 2's code at Hospital 1: not known there");
    const homeCode = await api(h2, 'POST', '/registrar/activations', {
      token: registrar2,
      body: { role: 'patient', externalIdKind: 'national-id', externalId: demoPatients('hospital2')[31].externalId },
    });
    t.equal(homeCode.status, 201);
    t.match(await refusedWith('Hospital 2', homeCode.json.code), /home activation code/, 'a home activation code: a plain sentence, before anything is redeemed');
    t.match((await api(h2, 'POST', '/device/activations/inspect', { body: { code: homeCode.json.code } })).json, { kind: 'home' }, 'that code is still unused');
    t.same(await heldHospitals(), ['Hospital 1'], 'no identity added');
    await accessible(t, dana, 'add a hospital, refused');
    t.equal(await storedWallet(), before, 'the sealed wallet on the device is untouched');
    t.ok(await codeUnused(), 'the code is still unused at Hospital 2');
  });

  await t.test("Hospital 2's code: a key for that relationship, certified there, kept sealed", async (t) => {
    await dana.getByLabel('Hospital that gave you the code').selectOption({ label: 'Hospital 2' });
    await dana.getByLabel('Code from that hospital’s registrar').fill(` ${delegate.json.code} `);
    await dana.getByRole('button', { name: 'Add hospital' }).click();
    await dana.getByText('Added Hospital 2.').waitFor(WAIT);
    t.same(await heldHospitals(), ['Hospital 1', 'Hospital 2']);
    await accessible(t, dana, 'add a hospital, added');
    t.notOk(await codeUnused(), 'the code is spent');
    const sealed = String(await storedWallet());
    t.notMatch(sealed, /BEGIN CERTIFICATE|Hospital2MSP|delegate/, 'what the device stores is sealed: no certificate, hospital or scope in the clear');
    t.notOk(sealed.includes(delegate.json.participantId), 'nor the delegate id');
    t.match(await refusedWith('Hospital 2', delegate.json.code), /already been used/, 'the same code again: refused in a plain sentence');
    t.same(await heldHospitals(), ['Hospital 1', 'Hospital 2'], 'and nothing added');
  });

  const rels = {};
  await t.test('both hospitals start a relationship; both appear live in one summary; she accepts each', async (t) => {
    await dana.getByRole('link', { name: 'Records' }).click();
    await dana.getByRole('heading', { name: 'My records' }).waitFor(WAIT);
    // Hospital 2's names the delegate: its chart is bound to it, no external-id lookup.
    const grey = await login(h2, 'dr-grey');
    const at2 = await api(h2, 'POST', '/relationships', { token: grey, body: { patientId: delegate.json.participantId, mrn: person.alsoAt.mrn } });
    t.equal(at2.status, 201, 'Hospital 2 relates its chart to her delegate');
    rels.h2 = at2.json.relationshipId;
    // No reload: the delegate's own notification stream at Hospital 2 brings it.
    await dana.getByText('Hospital 2 wants to share your records with you.').waitFor(WAIT);
    t.pass("Hospital 2's relationship appeared live, from the delegate's stream at Hospital 2");
    const ada = await login(h1, 'dr-ada');
    const resolved = await api(h1, 'POST', '/registrar/resolve', { token: ada, body: { externalIdKind: 'national-id', externalId: person.externalId } });
    const at1 = await api(h1, 'POST', '/relationships', { token: ada, body: { patientId: resolved.json.participantId, mrn: person.mrn } });
    t.equal(at1.status, 201, 'Hospital 1 relates its chart to her home identity');
    rels.h1 = at1.json.relationshipId;
    await dana.getByText('Hospital 1 wants to share your records with you.').waitFor(WAIT);
    await dana.getByRole('link', { name: 'Contracts' }).click();
    for (const h of ['Hospital 2', 'Hospital 1']) {
      await dana.getByRole('button', { name: `Accept ${h}` }).click();
      await dana.getByRole('region', { name: h }).getByText('Accepted', { exact: true }).waitFor(WAIT);
    }
    for (const [key, base] of [['h1', h1], ['h2', h2]]) {
      const rel = await api(base, 'GET', `/relationships/${rels[key]}`, { token: await login(base, key === 'h1' ? 'audra' : 'otto') });
      t.equal(rel.json.status, 'accepted', `the ledger holds ${key}'s relationship as accepted`);
    }
  });

  await t.test("on the ledger, the two relationships' patients are two unrelated ids", async (t) => {
    const one = (await api(h1, 'GET', `/relationships/${rels.h1}`, { token: auditor })).json;
    const two = (await api(h1, 'GET', `/relationships/${rels.h2}`, { token: auditor })).json;
    t.match(one.patientId, /^[0-9a-f]{64}$/);
    t.match(two.patientId, /^[0-9a-f]{64}$/);
    t.not(one.patientId, two.patientId, 'Hospital 1 and Hospital 2 name different patient ids');
    t.equal(two.patientId, delegate.json.participantId, "Hospital 2's names the delegate");
    t.not(JSON.stringify(two).includes(one.patientId), true, "nothing in Hospital 2's relationship names her home id");
    const history = await api(h1, 'GET', `/auditor/relationships/${rels.h2}/history`, { token: auditor });
    t.equal(history.status, 200);
    t.notOk(JSON.stringify(history.json).includes(one.patientId), "nor does any entry of its history (her accept was signed by the delegate)");
  });

  await t.test('records from both hospitals, each fetched by its own identity and verified on the device', async (t) => {
    await dana.getByRole('link', { name: 'Records' }).click();
    for (const h of ['Hospital 1', 'Hospital 2']) {
      const about = dana.getByRole('article', { name: `About me from ${h}` });
      await about.locator('.badge').waitFor(WAIT);
      t.equal(await about.locator('.badge').textContent(), 'Verified', `About me from ${h}: verified`);
    }
  });

  await t.test('she shares lab results from Hospital 2 with a viewer: the delegate signs the grant', async (t) => {
    const victor = await login(h1, 'victor');
    const share = await api(h1, 'POST', '/app-api/share-codes', { token: victor });
    await dana.getByRole('link', { name: 'Contracts' }).click();
    const card = dana.getByRole('region', { name: 'Hospital 2' });
    await card.getByText('Share records from Hospital 2 with someone').click();
    await card.getByLabel('Their share code').fill(share.json.code);
    await card.getByRole('button', { name: 'Find' }).click();
    await card.getByText('Found: a viewer at Hospital 1').waitFor(WAIT);
    await card.getByRole('group', { name: 'Lab results and measurements' }).getByLabel('code', { exact: true }).check();
    await card.getByRole('button', { name: 'Share', exact: true }).click();
    await card.getByRole('button', { name: /^Revoke viewer/ }).waitFor(WAIT);
    const rel = await api(h1, 'GET', `/relationships/${rels.h2}`, { token: auditor });
    t.same(rel.json.grants.map((g) => ({ items: g.items, status: g.status })), [{ items: [{ category: 'Observation', fields: ['code'] }], status: 'granted' }], 'the ledger holds the grant');
    // The viewer reads it from his side, through his own home gateway.
    const read = await api(h1, 'POST', '/records/fetch', { token: victor, body: { relationshipId: rels.h2, category: 'Observation', fields: ['code'] } });
    t.equal(read.status, 200, "Hospital 2's gatekeeper serves him what she granted");
    const wider = await api(h1, 'POST', '/records/fetch', { token: victor, body: { relationshipId: rels.h2, category: 'Observation', fields: ['code', 'valueQuantity'] } });
    t.equal(wider.status, 403, 'and nothing she did not');
  });

  await t.test('who looked: each hospital answers the identity that asks it', async (t) => {
    await dana.getByRole('link', { name: 'Who looked' }).click();
    const table = dana.getByRole('table');
    await table.waitFor(WAIT);
    const rows = await table.locator('tbody tr').allTextContents();
    t.ok(rows.some((r) => /You \(Hospital 2\)Hospital 2About me.*Served/.test(r)), 'her delegate’s reads at Hospital 2');
    t.ok(rows.some((r) => /You \(Hospital 1\)Hospital 1About me.*Served/.test(r)), 'her home identity’s reads at Hospital 1');
    t.equal(await dana.getByRole('alert').count(), 0, 'no hospital refused the query');
  });

  await t.test('after lock and unlock, the delegate is still there, from the sealed wallet', async (t) => {
    await dana.getByRole('button', { name: 'Lock' }).click();
    await dana.getByRole('link', { name: 'Unlock this device' }).click();
    await dana.getByLabel('Device passphrase').fill(passphrase);
    await dana.getByRole('button', { name: 'Unlock' }).click();
    await dana.getByRole('heading', { name: 'My records' }).waitFor(WAIT);
    await dana.getByRole('article', { name: 'About me from Hospital 2' }).locator('.badge').waitFor(WAIT);
    await dana.getByRole('link', { name: 'Contracts' }).click();
    await dana.getByRole('region', { name: 'Hospital 2' }).getByRole('button', { name: 'Reject' }).click();
    await dana.getByRole('region', { name: 'Hospital 2' }).getByText('Rejected', { exact: true }).waitFor(WAIT);
    const rel = await api(h2, 'GET', `/relationships/${rels.h2}`, { token: await login(h2, 'otto') });
    t.equal(rel.json.status, 'rejected', 'the unlocked delegate still signs for its relationship');
  });

  await t.test('a new device recovers from the phrase alone: her home identity, then the delegate, found at Hospital 2', async (t) => {
    const fresh = await (await launch(browsers)).newContext(CONTEXT);
    fresh.on('request', (r) => urls.push(r.url()));
    const page = await fresh.newPage();
    await page.goto(`${h1}/app/recover`);
    await page.getByLabel('Recovery phrase').fill(phrase);
    await page.getByLabel('Device passphrase (at least 8 characters)').fill('new device pass');
    await page.getByLabel('Device passphrase again').fill('new device pass');
    await page.getByRole('button', { name: 'Recover' }).click();
    await page.getByRole('heading', { name: 'My records' }).waitFor(WAIT);
    await page.getByRole('link', { name: 'Hospitals' }).click();
    await page.getByRole('heading', { name: 'Add a hospital' }).waitFor(WAIT);
    t.same((await page.locator('ul.identities li').allTextContents()).map((s) => s.replace(/ —.*/, '')), ['Hospital 1', 'Hospital 2'], 'both identities are back');
    t.equal(await page.getByRole('alert').count(), 0, 'every hospital was asked');
    await page.getByRole('link', { name: 'Contracts' }).click();
    await page.getByRole('button', { name: 'Accept Hospital 2' }).click();
    await page.getByRole('region', { name: 'Hospital 2' }).getByText('Accepted', { exact: true }).waitFor(WAIT);
    const rel = await api(h2, 'GET', `/relationships/${rels.h2}`, { token: await login(h2, 'otto') });
    t.equal(rel.json.status, 'accepted', "the recovered delegate's signature is taken");
    await fresh.close();
  });

  await t.test("Hospital 2's gateway down: Hospital 1's records still come, and the page says what is missing", async (t) => {
    await sys.gateways.find((g) => g.mspId === 'Hospital2MSP').app.close();
    await dana.getByRole('link', { name: 'Contracts' }).click();
    await dana.getByRole('heading', { name: 'Contracts' }).waitFor(WAIT);
    await dana.getByRole('link', { name: 'Records' }).click();
    const about = dana.getByRole('article', { name: 'About me from Hospital 1' });
    await about.locator('.badge').waitFor(WAIT);
    t.equal(await about.locator('.badge').textContent(), 'Verified', "Hospital 1's records, verified");
    t.match(await dana.getByRole('alert').first().textContent(WAIT), /Hospital 2 cannot be reached right now/, 'a plain sentence names the hospital');
    t.equal(await dana.getByRole('article', { name: 'About me from Hospital 2' }).count(), 0, 'and nothing of Hospital 2 is shown as if current');
  });

  t.test('no phrase, code or identifier in any URL the browser asked for', async (t) => {
    const secrets = [phrase, home.json.code, delegate.json.code, delegate.json.participantId, person.externalId, person.mrn, person.alsoAt.mrn, ...Object.values(rels)];
    t.same(urls.filter((u) => secrets.some((s) => u.includes(s))), []);
    t.ok(urls.some((u) => u.startsWith(`${new URL(h2).origin}/`)), "the page spoke to Hospital 2's gateway itself");
  });
}
