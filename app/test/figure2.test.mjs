/**
 * The MedRec app end to end (issue 11): the white paper's Figure 2 driven through the UI in headless
 * Chromium (Debian's package, playwright-core), against a real two-hospital system on port 0 (the
 * gateways serve the built app; the embedded ledger runs the real chaincode). Nothing is mocked: the
 * patient and the viewer hold their keys in the page (IndexedDB), sign on the device, and fetch sealed
 * answers through their home gateway. Staff (registrar, providers) act over HTTP as they would from
 * their own systems. Every page is checked with axe-core and photographed at desktop and phone width
 * into app/screenshots/ (git-ignored).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import Database from 'better-sqlite3';
import { AxeBuilder } from '@axe-core/playwright';
import { CONTEXT, DESKTOP, WAIT, activateInApp, cannotRun, launch as launchIn } from './support.mjs';
import { api, login, removeDir, startTestSystem } from '../../gateway/dist/test/http/support.js';
import { demoPatients } from '../../gateway/dist/demo/seed/population.js';
import { DEMO_REGISTRAR_PASSWORD } from '../../gateway/dist/demo/index.js';
import { alwaysIncluded } from '../../gateway/dist/src/services/records/records.js';

const SHOTS = fileURLToPath(new URL('../screenshots/', import.meta.url));
const PHONE = { width: 390, height: 844 };

if (!cannotRun(t)) {
  // One parent test whose promise spans the whole walk, so tap waits through the browser launches between steps.
  t.test('Figure 2 through the app, across two hospitals', (t) => figure2(t));
}

async function figure2(t) {
  mkdirSync(SHOTS, { recursive: true });
  // The pointer watcher stays off: the tampered row below must stay a mismatch rather than be re-hashed.
  const sys = await startTestSystem(undefined, {}, { changePollMs: false });
  const { h1, h2 } = sys;
  // One browser per person (and a new one for the recovered device): each its own fresh profile.
  const browsers = [];
  const launch = () => launchIn(browsers);
  t.teardown(async () => {
    for (const b of browsers) await b.close().catch(() => undefined);
    await sys.close();
    removeDir(sys.dir);
  });

  // dana: a synthetic person treated at both hospitals; vera: someone she will share with.
  const person = demoPatients('hospital1').filter((p) => p.alsoAt)[1];
  const registrar = await login(h1, 'registrar', DEMO_REGISTRAR_PASSWORD);
  const activation = async (body) => {
    const res = await api(h1, 'POST', '/registrar/activations', { token: registrar, body });
    if (res.status !== 201) throw new Error(`activation → ${res.status} ${res.json.code}`);
    return res.json.code;
  };
  const danaCode = await activation({ username: 'dana', role: 'patient', externalIdKind: 'national-id', externalId: person.externalId });
  const veraCode = await activation({ username: 'vera', role: 'viewer', externalIdKind: 'national-id', externalId: 'VIEWER-VERA-1' });
  const passphrase = 'correct horse battery';

  // What must never appear in a URL the browser requests nor in its console: identifiers and secrets.
  const secrets = [person.externalId, person.mrn, person.alsoAt.mrn, danaCode, veraCode, passphrase];
  const urls = [];
  const consoleLines = [];
  const watch = (context) => {
    context.on('request', (r) => urls.push(r.url()));
    context.on('console', (m) => consoleLines.push(m.text()));
  };

  const checked = new Set();
  /** axe-core on the page as it is now (no serious or critical violation), and a screenshot at both widths. */
  const check = async (t, page, name) => {
    await page.waitForLoadState('networkidle').catch(() => undefined);
    const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    t.same(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [], `${name}: no serious or critical accessibility violation`);
    const size = page.viewportSize();
    await page.screenshot({ path: join(SHOTS, `${name}-desktop.png`), fullPage: true });
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: join(SHOTS, `${name}-phone.png`), fullPage: true });
    await page.setViewportSize(size ?? DESKTOP);
    checked.add(name);
  };

  const patientContext = await (await launch()).newContext(CONTEXT);
  watch(patientContext);
  const dana = await patientContext.newPage();
  let phrase = '';

  await t.test('onboarding: activation code, the phrase shown once and confirmed, a device passphrase', async (t) => {
    await dana.goto(`${h1}/app/`);
    await dana.getByRole('heading', { name: 'Your medical records, in your hands' }).waitFor(WAIT);
    await check(t, dana, '01-welcome');
    await dana.getByRole('link', { name: 'Activate with a code from your hospital' }).click();
    await dana.getByLabel('Activation code from your registrar').fill('0000-0000-0000-0000-0000'.replace(/-/g, ''));
    await dana.getByRole('button', { name: 'Continue' }).click();
    t.match(await dana.getByRole('alert').textContent(WAIT), /not known/, 'an unknown code: a plain sentence');
    await dana.getByLabel('Activation code from your registrar').fill(danaCode);
    await check(t, dana, '02-activate-code');
    await dana.getByRole('button', { name: 'Continue' }).click();
    await dana.getByRole('heading', { name: 'Your recovery phrase' }).waitFor(WAIT);
    const words = await dana.locator('ol.phrase li').allTextContents();
    t.equal(words.length, 12, 'twelve words are shown');
    phrase = words.join(' ');
    await check(t, dana, '03-activate-phrase');
    await dana.getByRole('button', { name: 'I have written them down' }).click();
    const asked = await dana.locator('label[for^="word-"]').allTextContents();
    t.equal(asked.length, 3, 'three words are asked back');
    const ask = asked.map((label) => Number(label.replace('Word ', '')));
    // A wrong word first: refused, and the phrase is not shown on this step.
    await dana.getByLabel(`Word ${ask[0]}`, { exact: true }).fill('not-a-word');
    for (const n of ask.slice(1)) await dana.getByLabel(`Word ${n}`, { exact: true }).fill(words[n - 1]);
    await dana.getByRole('button', { name: 'Check' }).click();
    t.match(await dana.getByRole('alert').textContent(), /do not match/);
    t.equal(await dana.locator('ol.phrase').count(), 0, 'the phrase is not on the confirmation step');
    await check(t, dana, '04-activate-confirm');
    await dana.getByLabel(`Word ${ask[0]}`, { exact: true }).fill(words[ask[0] - 1]);
    await dana.getByRole('button', { name: 'Check' }).click();
    await dana.getByLabel('Device passphrase (at least 8 characters)').fill('short');
    await dana.getByLabel('Device passphrase again').fill('short');
    await dana.getByRole('button', { name: 'Create my key' }).click();
    t.match(await dana.getByRole('alert').textContent(), /at least 8 characters/);
    await dana.getByLabel('Device passphrase (at least 8 characters)').fill(passphrase);
    await dana.getByLabel('Device passphrase again').fill(passphrase);
    await check(t, dana, '05-activate-passphrase');
    await dana.getByRole('button', { name: 'Create my key' }).click();
    await dana.getByRole('heading', { name: 'My records' }).waitFor(WAIT);
    await dana.getByText('No records yet').waitFor(WAIT);
    t.notOk(await dana.getByText(words[0], { exact: true }).count(), 'the phrase is not shown again');
  });

  const rels = {};
  await t.test("a provider's new relationship appears live; another hospital's too; the patient accepts both", async (t) => {
    // Hospital 2 treats her under a delegate (docs/privacy.md §3): its registrar registers one for its
    // chart and gives her the code, which she adds in the app ("Add a hospital"); her home id is refused there.
    const grey = await login(h2, 'dr-grey');
    const byHomeId = await api(h2, 'POST', '/relationships', {
      token: grey,
      body: { patientId: (await api(h2, 'POST', '/registrar/resolve', { token: grey, body: { externalIdKind: 'national-id', externalId: person.externalId } })).json.participantId, mrn: person.alsoAt.mrn },
    });
    t.same([byHomeId.status, byHomeId.json.code], [403, 'DELEGATE_REQUIRED'], 'Hospital 2 may not name her home id');
    const delegate = await api(h2, 'POST', '/registrar/delegates', { token: await login(h2, 'registrar', DEMO_REGISTRAR_PASSWORD), body: { mrn: person.alsoAt.mrn } });
    t.equal(delegate.status, 201, "Hospital 2's registrar registers a delegate for its chart of her");
    secrets.push(delegate.json.code);
    await dana.getByRole('link', { name: 'Contracts' }).click();
    await dana.getByRole('link', { name: 'Add a hospital' }).click();
    await dana.getByLabel('Hospital that gave you the code').selectOption({ label: 'Hospital 2' });
    await dana.getByLabel('Code from that hospital’s registrar').fill(delegate.json.code);
    await dana.getByRole('button', { name: 'Add hospital' }).click();
    await dana.getByText('Added Hospital 2.').waitFor(WAIT);
    await dana.getByRole('link', { name: 'Records' }).click();
    await dana.getByRole('heading', { name: 'My records' }).waitFor(WAIT);
    for (const [base, provider, body, key] of [
      [h2, 'dr-grey', { mrn: person.alsoAt.mrn }, 'h2'],
      [h1, 'dr-ada', { mrn: person.mrn }, 'h1'],
    ]) {
      const token = await login(base, provider);
      if (key === 'h1') {
        const resolved = await api(base, 'POST', '/registrar/resolve', { token, body: { externalIdKind: 'national-id', externalId: person.externalId } });
        body.patientId = resolved.json.participantId;
      }
      const created = await api(base, 'POST', '/relationships', { token, body });
      t.equal(created.status, 201, `${provider} starts a relationship`);
      rels[key] = created.json.relationshipId;
      if (key === 'h2') {
        t.equal(created.json.patientId, delegate.json.participantId, "Hospital 2's is her delegate's");
        // No reload: the delegate's notification stream brings it.
        await dana.getByText('Hospital 2 wants to share your records with you.').waitFor(WAIT);
        t.pass('the relationship from Hospital 2 appeared without a reload');
      }
    }
    await dana.getByText('Hospital 1 wants to share your records with you.').waitFor(WAIT);
    await check(t, dana, '06-records-pending');
    await dana.getByRole('link', { name: 'Contracts' }).click();
    await dana.getByRole('button', { name: 'Accept Hospital 2' }).waitFor(WAIT);
    await check(t, dana, '07-contracts-new');
    await dana.getByRole('button', { name: 'Accept Hospital 2' }).click();
    await dana.getByRole('region', { name: 'Hospital 2' }).getByText('Accepted', { exact: true }).waitFor(WAIT);
    await dana.getByRole('button', { name: 'Accept Hospital 1' }).click();
    await dana.getByRole('region', { name: 'Hospital 1' }).getByText('Accepted', { exact: true }).waitFor(WAIT);
    for (const key of ['h1', 'h2']) {
      const rel = await api(h1, 'GET', `/relationships/${rels[key]}`, { token: await login(h1, 'audra') });
      t.equal(rel.json.status, 'accepted', `the ledger holds ${key}'s relationship as accepted`);
    }
  });

  await t.test('records from both hospitals, grouped by category, new, verified on the device', async (t) => {
    await dana.getByRole('link', { name: 'Records' }).click();
    const about = dana.getByRole('region', { name: 'About me' });
    await about.getByRole('article').nth(1).waitFor(WAIT);
    const shelves = dana.getByRole('article');
    const count = await shelves.count();
    t.ok(count >= 4, `records of several categories from both hospitals (${count} shelves)`);
    t.equal(await dana.locator('.badge.ok').count(), count, 'every shelf verified: the device re-hashed each answer and it matches the ledger');
    t.equal(await dana.locator('.mark.new').count(), count, 'all new on first sight');
    for (const h of ['Hospital 1', 'Hospital 2']) t.ok(await about.getByRole('article', { name: `About me from ${h}` }).count(), `About me from ${h}`);
    await check(t, dana, '08-records');
    await dana.screenshot({ path: join(SHOTS, 'records-readme.png') });
  });

  await t.test("a row changed in Hospital 2's database behind the ledger's back shows as a mismatch", async (t) => {
    const ehr = new Database(join(sys.system.config.hospitals[1].dataDir, 'ehr.sqlite'));
    const changed = ehr.prepare("UPDATE person SET home_phone = '555-0199' WHERE med_rec_no = ?").run(person.alsoAt.mrn).changes;
    ehr.close();
    t.equal(changed, 1);
    // A fresh look: away and back (a reload would lock the wallet).
    await dana.getByRole('link', { name: 'Contracts' }).click();
    await dana.getByRole('heading', { name: 'Contracts' }).waitFor(WAIT);
    await dana.getByRole('link', { name: 'Records' }).click();
    const h2About = dana.getByRole('article', { name: 'About me from Hospital 2' });
    await h2About.locator('.badge').waitFor(WAIT);
    t.equal(await h2About.locator('.badge').textContent(), 'Mismatch');
    t.equal(await dana.getByRole('article', { name: 'About me from Hospital 1' }).locator('.badge').textContent(), 'Verified', "Hospital 1's copy still verifies");
    await check(t, dana, '09-records-mismatch');
  });

  await t.test('the provider re-attests the changed record: it shows as changed and verified, live; the patient acknowledges', async (t) => {
    const grey = await login(h2, 'dr-grey');
    const refreshed = await api(h2, 'POST', `/relationships/${rels.h2}/pointers`, { token: grey, body: { categories: ['Patient'] } });
    t.equal(refreshed.status, 200, 'a new pointer for Patient');
    const h2About = dana.getByRole('article', { name: 'About me from Hospital 2' });
    await h2About.locator('.mark.changed').waitFor(WAIT);
    await h2About.getByText('Verified').waitFor(WAIT);
    t.equal(await h2About.locator('.badge').textContent(), 'Verified', 'the new pointer is the hash of the record as it is now');
    t.equal(await dana.locator('.mark.changed').count(), 1, 'only that shelf is marked changed');
    await dana.getByRole('link', { name: 'Contracts' }).click();
    const card = dana.getByRole('region', { name: 'Hospital 2' });
    await card.getByText('New data available').waitFor(WAIT);
    await card.getByRole('button', { name: 'Acknowledge update' }).click();
    await card.getByText('Accepted', { exact: true }).waitFor(WAIT);
    t.pass('acknowledged: the relationship is accepted again');
  });

  const viewerBrowser = await launch();
  const viewerContext = await viewerBrowser.newContext(CONTEXT);
  watch(viewerContext);
  const vera = await viewerContext.newPage();
  let shareCode = '';
  await t.test('a viewer activates on her own device and shows her share code', async (t) => {
    await activateInApp(vera, h1, veraCode, 'vera passphrase');
    await vera.getByRole('heading', { name: 'Shared with me' }).waitFor(WAIT);
    await vera.getByText('Nothing has been shared with you yet.').waitFor(WAIT);
    await vera.getByRole('button', { name: 'Show my share code' }).click();
    shareCode = (await vera.getByLabel('Share code', { exact: true }).textContent(WAIT)) ?? '';
    t.match(shareCode, /^[A-Z2-9]{4}-[A-Z2-9]{4}$/, 'a short code, no raw id');
    await check(t, vera, '10-shared-empty');
  });

  const granted = ['code', 'valueQuantity'];
  await t.test('the patient grants the viewer two fields of her lab results by ticking them', async (t) => {
    await dana.getByRole('link', { name: 'Contracts' }).click();
    const card = dana.getByRole('region', { name: 'Hospital 2' });
    await card.getByText('Share records from Hospital 2 with someone').click();
    await card.getByLabel('Their share code').fill('ZZZZ-ZZZZ');
    await card.getByRole('button', { name: 'Find' }).click();
    t.match(await card.getByRole('alert').textContent(WAIT), /No one is using this share code/);
    await card.getByLabel('Their share code').fill(shareCode.toLowerCase());
    await card.getByRole('button', { name: 'Find' }).click();
    await card.getByText('Found: a viewer at Hospital 1').waitFor(WAIT);
    const observation = card.getByRole('group', { name: 'Lab results and measurements' });
    for (const f of granted) await observation.getByLabel(f, { exact: true }).check();
    await card.getByLabel('Purpose').selectOption('FAMRQT');
    await check(t, dana, '11-contracts-grant-form');
    await card.getByRole('button', { name: 'Share', exact: true }).click();
    await card.getByRole('button', { name: /^Revoke viewer/ }).waitFor(WAIT);
    t.match(await card.locator('.grants').textContent(), /Lab results and measurements \(code, valueQuantity\).*purpose FAMRQT/);
    const rel = await api(h1, 'GET', `/relationships/${rels.h2}`, { token: await login(h1, 'audra') });
    t.same(rel.json.grants.map((g) => ({ items: g.items, purpose: g.purpose, status: g.status })), [
      { items: [{ category: 'Observation', fields: granted }], purpose: 'FAMRQT', status: 'granted' },
    ], 'the ledger holds exactly the ticked fields');
  });

  await t.test('the viewer sees only the granted fields', async (t) => {
    // No reload: the grant arrives on the viewer's notification stream.
    const fetchButton = vera.getByRole('button', { name: 'Fetch Lab results and measurements' });
    await fetchButton.waitFor(WAIT);
    await fetchButton.click();
    const received = vera.getByTestId('received-fields');
    await received.waitFor(WAIT);
    const fields = ((await received.textContent()) ?? '').split(', ');
    const allowed = new Set([...granted, ...alwaysIncluded('Observation')]);
    t.ok(granted.every((f) => fields.includes(f)), `the granted fields came (${fields.join(', ')})`);
    t.same(fields.filter((f) => !allowed.has(f)), [], 'nothing beyond the grant and the elements every grant carries');
    t.ok(await vera.locator('.resources li').count() > 0, 'resources are listed');
    await check(t, vera, '12-shared-fetched');
  });

  await t.test('the patient revokes; the viewer is refused', async (t) => {
    const card = dana.getByRole('region', { name: 'Hospital 2' });
    await card.getByRole('button', { name: /^Revoke viewer/ }).click();
    await card.getByText('No one.').waitFor(WAIT);
    const fetchButton = vera.getByRole('button', { name: 'Fetch Lab results and measurements' });
    await fetchButton.click();
    await vera.getByText('withdrawn your permission', { exact: false }).first().waitFor(WAIT);
    await vera.locator('.busy').waitFor({ state: 'detached', ...WAIT });
    const alerts = await vera.getByRole('alert').allTextContents();
    t.ok(alerts.some((a) => /withdrawn your permission/.test(a)), `refused, in a plain sentence (${alerts.join(' / ')})`);
    t.equal(await vera.getByTestId('received-fields').count(), 0, 'no data shown');
    await check(t, vera, '13-shared-revoked');
  });

  await t.test("the patient's 'who looked' page lists each access, served and refused, from each hospital", async (t) => {
    await dana.getByRole('link', { name: 'Who looked' }).click();
    const table = dana.getByRole('table');
    await table.waitFor(WAIT);
    const rows = await table.locator('tbody tr').allTextContents();
    t.ok(rows.some((r) => /You \(Hospital 2\)Hospital 2About me.*Served/.test(r)), 'her own reads at Hospital 2, under her identity there');
    t.ok(rows.some((r) => /You \(Hospital 1\)Hospital 1About me.*Served/.test(r)), 'her own reads at Hospital 1');
    t.ok(rows.some((r) => /Someone you shared with \(Hospital 1\).*Hospital 2.*Lab results.*\(code, valueQuantity\).*Family request.*Served/.test(r)), "the viewer's read, with purpose");
    t.ok(rows.some((r) => /Someone you shared with \(Hospital 1\)Hospital 2Lab results.*Refused/.test(r)), "the viewer's refused read after the revocation");
    await check(t, dana, '14-who-looked');
  });

  await t.test('the graph shows providers and the viewer with the status of each edge', async (t) => {
    await dana.getByRole('link', { name: 'Graph' }).click();
    await dana.getByRole('img', { name: 'Your relationships' }).waitFor(WAIT);
    const edges = await dana.locator('ul.edges li').allTextContents();
    t.equal(edges.length, 3, edges.join(' | '));
    t.ok(edges.includes('Me — Hospital 1: accepted') && edges.includes('Me — Hospital 2: accepted'), 'both relationships accepted');
    t.ok(edges.some((e) => /^Hospital 2 — Viewer [0-9a-f]{8}…: revoked$/.test(e)), 'the viewer, revoked');
    t.equal(await dana.locator('svg .node').count(), 4, 'me, two hospitals, one viewer');
    await check(t, dana, '15-graph');
  });

  await t.test('lock and unlock with the device passphrase', async (t) => {
    await dana.getByRole('button', { name: 'Lock' }).click();
    await dana.getByRole('link', { name: 'Unlock this device' }).click();
    await dana.getByLabel('Device passphrase').fill('not the passphrase');
    await dana.getByRole('button', { name: 'Unlock' }).click();
    t.match(await dana.getByRole('alert').textContent(WAIT), /does not open the wallet/);
    await check(t, dana, '16-unlock');
    await dana.getByLabel('Device passphrase').fill(passphrase);
    await dana.getByRole('button', { name: 'Unlock' }).click();
    await dana.getByRole('heading', { name: 'My records' }).waitFor(WAIT);
    await dana.getByRole('article', { name: 'About me from Hospital 2' }).locator('.badge').waitFor(WAIT);
    t.equal(await dana.locator('.mark').count(), 0, 'nothing is new or changed since it was last seen');
  });

  await t.test('recovery on a fresh browser profile from the phrase', async (t) => {
    await viewerBrowser.close();
    const fresh = await (await launch()).newContext(CONTEXT);
    watch(fresh);
    const page = await fresh.newPage();
    await page.goto(`${h1}/app/`);
    t.equal(await page.getByRole('link', { name: 'Unlock this device' }).count(), 0, 'a fresh profile holds no wallet');
    // The used code cannot be redeemed again on the new device.
    await page.getByRole('link', { name: 'Activate with a code from your hospital' }).click();
    await page.getByLabel('Activation code from your registrar').fill(danaCode);
    await page.getByRole('button', { name: 'Continue' }).click();
    t.match(await page.getByRole('alert').textContent(WAIT), /already been used/);
    await page.goto(`${h1}/app/recover`);
    await page.getByLabel('Recovery phrase').fill(phrase.split(' ').reverse().join(' '));
    await page.getByLabel('Device passphrase (at least 8 characters)').fill('new device pass');
    await page.getByLabel('Device passphrase again').fill('new device pass');
    await page.getByRole('button', { name: 'Recover' }).click();
    t.match(await page.getByRole('alert').textContent(WAIT), /not a valid recovery phrase|no hospital certificate/i);
    await page.getByLabel('Recovery phrase').fill(`  ${phrase.toUpperCase()} `);
    await check(t, page, '17-recover');
    await page.getByRole('button', { name: 'Recover' }).click();
    await page.getByRole('heading', { name: 'My records' }).waitFor(WAIT);
    await page.getByRole('article', { name: 'About me from Hospital 1' }).locator('.badge').waitFor(WAIT);
    t.equal(await page.getByRole('article', { name: 'About me from Hospital 1' }).locator('.badge').textContent(), 'Verified', 'the recovered key reads and verifies');
    // The recovered device signs: a consent change goes through.
    await page.getByRole('link', { name: 'Contracts' }).click();
    await page.getByRole('region', { name: 'Hospital 1' }).getByRole('button', { name: 'Reject' }).click();
    await page.getByRole('region', { name: 'Hospital 1' }).getByText('Rejected', { exact: true }).waitFor(WAIT);
    const rel = await api(h1, 'GET', `/relationships/${rels.h1}`, { token: await login(h1, 'audra') });
    t.equal(rel.json.status, 'rejected', 'the ledger took the recovered device’s signature');
    await fresh.close();
  });

  t.test('no identifier or secret in any URL the browser asked for, nor in its console', async (t) => {
    t.ok(urls.length > 50, `${urls.length} requests seen`);
    const ids = [...Object.values(rels), phrase, ...secrets];
    t.same(urls.filter((u) => ids.some((s) => u.includes(s))), [], 'URLs carry no identifier');
    t.same(consoleLines.filter((l) => ids.some((s) => l.includes(s))), [], 'the console carries none');
    t.ok(checked.size >= 15, `${checked.size} pages checked with axe-core and photographed`);
  });
}
