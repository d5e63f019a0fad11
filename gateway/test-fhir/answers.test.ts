import { writeFileSync } from 'node:fs';
import t from 'tap';
import { canonicalJson } from '@medrec/client/protocol';
import { isSubsetted } from '../src/services/records/records.js';
import { leaked, withheld } from '../test/ehr/leaks.js';
import { collectAnswers, startSystem, type CollectedAnswer } from './support/answers.js';
import { Hl7Validator, type ValidationResult } from './support/hl7-validator.js';
import { tallyWarnings } from './support/tally.js';

/**
 * Issue 13: every answer the gatekeeper gives — each category's complete answer and viewers' field
 * subsets, from both demo hospitals — is valid FHIR R4 according to the HL7 validator: 0 errors.
 */
t.setTimeout(900_000);

const validator = Hl7Validator.start();
t.teardown(() => validator.close());
// The JVM loads the R4 core package while the system starts.
const warm = validator.validate({ resourceType: 'Basic', id: 'warm-up', code: { text: 'warm-up' } }, 'warm-up');

const sys = await startSystem();
t.teardown(() => sys.close());
const answers = await collectAnswers(sys);
await warm;

interface Item {
  id: string;
  resource: unknown;
  answers: CollectedAnswer[];
}

/** Each Bundle, and each distinct resource in them (the same resource in several answers is validated once). */
function items(): Item[] {
  const byText = new Map<string, Item>();
  const out: Item[] = [];
  for (const a of answers) {
    out.push({ id: `${a.label} Bundle`, resource: a.body['bundle'], answers: [a] });
    for (const entry of a.body['bundle'].entry as { resource: { resourceType: string; id: string } }[]) {
      const text = canonicalJson(entry.resource);
      const seen = byText.get(text);
      if (seen) {
        seen.answers.push(a);
        continue;
      }
      const item = { id: `${a.label} ${entry.resource.resourceType}/${entry.resource.id}`, resource: entry.resource, answers: [a] };
      byText.set(text, item);
      out.push(item);
    }
  }
  return out;
}

const all = items();
// For a look with other tools (e.g. the validator CLI with --information): the exact inputs, one per line.
const dump = process.env['MEDREC_FHIR_ANSWERS_OUT'];
if (dump) writeFileSync(dump, all.map((i) => JSON.stringify({ id: i.id, resource: i.resource })).join('\n') + '\n', { mode: 0o600 });
const started = Date.now();
const results = await validator.validateAll(all);
const validationMs = Date.now() - started;

t.test('the answers cover both hospitals, every category, complete and subset answers', async (t) => {
  for (const hospital of ['hospital1', 'hospital2']) {
    for (const kind of ['complete', 'subset']) {
      const cats = new Set(answers.filter((a) => a.hospital === hospital && a.kind === kind).map((a) => a.category));
      t.equal(cats.size, 7, `${hospital}: ${kind} answers for all 7 categories`);
    }
    const single = answers.filter((a) => a.hospital === hospital && a.requested.length === 1);
    t.ok(single.length >= 30, `${hospital}: ${single.length} single-field answers`);
  }
  t.ok(answers.every((a) => (a.body['bundle'].entry as unknown[]).length > 0 || a.kind === 'subset'), 'complete answers carry records');
});

t.test('complete answers: every entry under the holding hospital\'s FHIR base, lastUpdated, and a hash the patient re-checks', async (t) => {
  for (const a of answers.filter((x) => x.kind === 'complete')) {
    const bundle = a.body['bundle'];
    const base = `${a.body['gatekeeper']}/fhir`;
    t.same(a.body['check'], { ledgerHash: a.body['ledgerHash'], localHash: a.body['ledgerHash'], matches: true }, `${a.label}: re-hashes to the pointer`);
    t.equal(a.body['projected'], false);
    t.same(bundle.link, [{ relation: 'self', url: `${base}/${a.category}?relationship=${a.body['relationshipId']}` }]);
    for (const e of bundle.entry) {
      if (e.fullUrl !== `${base}/${a.category}/${e.resource.id}`) t.fail(`${a.label}: fullUrl ${e.fullUrl}`);
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(e.resource.meta?.lastUpdated ?? '')) t.fail(`${a.label}: no lastUpdated on ${e.resource.id}`);
      if (isSubsetted(e.resource)) t.fail(`${a.label}: ${e.resource.id} tagged SUBSETTED`);
    }
  }
});

t.test('viewer answers: the granted elements and those always included, with their real values, tagged SUBSETTED; nothing else leaves', async (t) => {
  const sources = new Map<string, Record<string, unknown>>();
  for (const a of answers.filter((x) => x.kind === 'complete')) for (const e of a.body['bundle'].entry) sources.set(e.resource.id, e.resource);
  let resources = 0;
  let whole = 0;
  for (const a of answers.filter((x) => x.kind === 'subset')) {
    t.equal(a.body['hashMatches'], true, `${a.label}: the gatekeeper checked the full record against the ledger`);
    if (a.body['projected']) t.equal(a.body['check'].localHash, null, `${a.label}: a subset cannot be re-hashed by the viewer`);
    else {
      // The grant and the elements always included cover every element these records have.
      whole++;
      t.same(a.body['check'], { ledgerHash: a.body['ledgerHash'], localHash: a.body['ledgerHash'], matches: true },
        `${a.label}: nothing was left out, so the viewer re-hashes the records to the pointer`);
    }
    t.equal(a.body['projected'], (a.body['bundle'].entry as { resource: Record<string, unknown> }[]).some((e) => isSubsetted(e.resource as never)),
      `${a.label}: projected exactly when a resource is tagged SUBSETTED`);
    for (const e of a.body['bundle'].entry) {
      const source = sources.get(e.resource.id);
      if (!source) {
        t.fail(`${a.label}: ${e.resource.id} is not in the patient's own answer`);
        continue;
      }
      const leaks = leaked(source, e.resource, a.granted);
      if (leaks.length > 0) t.fail(`${a.label}: ${e.resource.id} leaks ${leaks.join(', ')}`);
      const missing = withheld(source, e.resource, a.granted);
      if (missing.length > 0) t.fail(`${a.label}: ${e.resource.id} withholds ${missing.join(', ')}`);
      resources++;
    }
    if (a.body['projected']) t.match(a.body['bundle'].link[0].url, /&_elements=/, `${a.label}: self link names the elements`);
  }
  t.ok(resources > 200, `${resources} served resources compared with their source`);
  const viewerAnswers = answers.filter((x) => x.kind === 'subset').length;
  t.ok(whole < viewerAnswers / 2, `${viewerAnswers - whole} of ${viewerAnswers} viewer answers are subsets; ${whole} lost nothing`);
});

t.test('the HL7 validator reports 0 errors on every Bundle and every resource', async (t) => {
  let errors = 0;
  let bundleErrors = 0;
  const failedAnswers = new Set<string>();
  const warnings = tallyWarnings(results);
  const errorKinds = new Map<string, number>();
  results.forEach((r: ValidationResult, i) => {
    const item = all[i]!;
    errors += r.errors;
    if (item.id.endsWith(' Bundle')) bundleErrors += r.errors;
    if (r.errors > 0) for (const a of item.answers) failedAnswers.add(a.label);
    for (const issue of r.issues.filter((x) => x.severity !== 'warning')) errorKinds.set(issue.messageId, (errorKinds.get(issue.messageId) ?? 0) + 1);
    const list = r.issues.filter((x) => x.severity !== 'warning').map((x) => `${x.location}: ${x.message}`);
    t.equal(r.errors, 0, `${item.id}: 0 errors`, { errors: list.slice(0, 12) });
  });
  const bundles = all.filter((i) => i.id.endsWith(' Bundle')).length;
  t.comment(`validated ${bundles} Bundles and ${all.length - bundles} distinct resources from ${answers.length} answers in ${validationMs} ms (${validator.offline})`);
  t.comment(`errors: ${errors}; answers with at least one error: ${failedAnswers.size} of ${answers.length} ` +
    `(complete ${[...failedAnswers].filter((l) => answers.find((a) => a.label === l)!.kind === 'complete').length} of ${answers.filter((a) => a.kind === 'complete').length})`);
  for (const [id, w] of [...warnings].sort((a, b) => b[1].count - a[1].count)) t.comment(`warning ×${w.count} ${id}: ${w.example}`);
  console.log(JSON.stringify({
    fhirValidation: { answers: answers.length, bundles, resources: all.length - bundles, errors, bundleErrors, answersWithErrors: failedAnswers.size,
      subsetAnswersWithErrors: [...failedAnswers].filter((l) => answers.find((a) => a.label === l)!.kind === 'subset').length, validationMs,
      offline: validator.offline, errorsByMessageId: Object.fromEntries(errorKinds), warnings: Object.fromEntries([...warnings].map(([k, v]) => [k, v.count])) },
  }));
});
