import t from 'tap';
import { CATEGORIES, CATEGORY_FIELDS } from '../../src/domain/categories';
import { PURPOSES } from '../../src/domain/purposes';
import { EVENT_NAMES, ROLES } from '../../src/domain/types';
import { strangeStrings } from '../support/scan';
import { cast, grantJson, H, H1, H2 } from '../support/world';

/**
 * Runs every kind of change, including attempts to smuggle plain identifiers, medical data and SQL
 * in, then scans everything written: state keys and values, every history version and every event.
 */
t.test('nothing on the ledger is a plain identifier, medical data or SQL', async (t) => {
  const c = await cast();
  const w = c.w;
  const plain = [...w.actors.values()].flatMap((a) => [a.externalId, a.displayName, a.enrollmentId, a.name]);
  const medical = ['diabetes', 'Type 2', 'mmol/L', 'HbA1c', 'penicillin', 'Jane Doe', '1975-03-14'];
  const sql = ['SELECT', 'FROM patients', 'WHERE', 'DROP TABLE', 'mrn ='];

  // an enrollment id that is a person's name is only ever hashed
  await w.submit(c.registrar1, 'Registrar:register', H('9'), 'Jane.Doe', 'patient');
  const rel = await w.submit<{ relationshipId: string }>(c.provider1, 'Relationship:create', c.patient.pid, 'https://h1.example/gatekeeper');
  const id = rel.relationshipId;
  await w.submit(c.provider1, 'Relationship:createBatch', JSON.stringify([{ patientId: c.patient2.pid, endpoint: 'https://h1.example/gatekeeper', pointers: [{ category: 'Condition', hash: H('2') }] }]));
  await w.submit(c.records1, 'Relationship:putPointer', id, 'Observation', H('1'));
  await w.submit(c.patient, 'Relationship:accept', id);
  await w.submit(c.patient, 'Relationship:grant', id, c.viewer.pid, grantJson([{ category: 'Observation', fields: ['code', 'valueQuantity'] }], '2026-12-31T00:00:00Z', 'FAMRQT'));
  await w.submit(c.records1, 'Summary:markUpdateAvailable', id);
  await w.submit(c.patient, 'Summary:acknowledge', id);
  await w.submit(c.patient, 'Relationship:revoke', id, c.viewer.pid);
  await w.submit(c.registrar1, 'Registrar:remap', c.patient2.hash, 'bob.h1.v2');
  await w.submit(c.records1, 'Audit:anchor', '1', '10', H('3'));
  await w.submit(c.patient, 'Relationship:remove', id);

  const smuggle: [string, string[]][] = [
    ['Registrar:register', ['MRN-H1-0042', 'x', 'patient']],
    ['Registrar:register', [H('8'), 'x', 'patient; name=Jane Doe']],
    ['Relationship:create', [c.patient.pid, 'https://h1.example/gk?q=SELECT * FROM patients WHERE mrn = 1']],
    ['Relationship:createBatch', [JSON.stringify([{ patientId: c.patient.pid, endpoint: 'https://h1.example/gk', query: 'SELECT * FROM patients' }])]],
    ['Relationship:putPointer', [id, 'Observation', 'HbA1c 7.1 mmol/L']],
    ['Relationship:grant', [id, c.viewer.pid, JSON.stringify({ items: [{ category: 'Observation', fields: ['code'] }], validUntil: '2026-12-31T00:00:00Z', purpose: 'TREAT', note: 'Jane Doe, diabetes' })]],
    ['Audit:anchor', ['11', '12', 'DROP TABLE audit']],
  ];
  for (const [fn, args] of smuggle) {
    const actor = fn.startsWith('Registrar') ? c.registrar1 : fn === 'Relationship:grant' ? c.patient : c.provider1;
    const res = await w.call(actor, fn, args, true);
    t.equal(res.status, 500, `${fn} refuses smuggled text`);
  }

  const written: string[] = [];
  for (const [key, value] of w.ledger.state) written.push(key, value.toString('utf8'));
  for (const mods of w.ledger.history.values()) for (const m of mods) written.push(Buffer.from(m.value).toString('utf8'));
  for (const e of w.ledger.events) written.push(e.name, e.payload);
  t.ok(written.length > 100, `scanned ${written.length} keys, values and events`);
  const blob = written.join('\n').toLowerCase();
  for (const needle of [...plain, ...medical, ...sql]) {
    t.notOk(blob.includes(needle.toLowerCase()), `"${needle}" appears nowhere`);
  }

  // Stronger than a deny list: every string written is a hash/id, a timestamp, a code from a fixed
  // vocabulary, an MSP id or a gatekeeper URL. Free text has nowhere to go.
  const vocabulary = new Set<string>([
    ...ROLES, ...CATEGORIES, ...Object.values(CATEGORY_FIELDS).flat(), ...PURPOSES, ...EVENT_NAMES,
    'active', 'superseded', 'new', 'update_available', 'accepted', 'rejected', 'deleted', 'granted', 'revoked', 'patient', 'provider', 'viewer',
    H1, H2, 'https://h1.example/gatekeeper',
  ]);
  const allowed = (s: string) =>
    /^[0-9a-f]{64}$/.test(s) || /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(s) || /^tx\d+$/.test(s) || vocabulary.has(s);
  const stored = [...[...w.ledger.state.values()].map((value) => JSON.parse(value.toString('utf8')) as unknown), ...w.ledger.events.map((e) => JSON.parse(e.payload) as unknown)];
  t.same(strangeStrings(stored, allowed), [], 'every written string is an id, a timestamp, a code, an MSP id or an endpoint');
  for (const key of w.ledger.state.keys()) {
    const parts = key.split('\u0000').filter(Boolean);
    t.ok(parts.slice(1).every((p) => /^[0-9a-f]{64}$/.test(p) || vocabulary.has(p) || /^\d{16}$/.test(p)), 'key parts are ids, codes, MSP ids or sequence numbers');
  }
});
