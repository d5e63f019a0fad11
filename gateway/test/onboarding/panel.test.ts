import t from 'tap';
import { panelFormat, parsePanel } from '../../src/services/onboarding/panel.js';
import { Problem } from '../../src/services/problem.js';

t.test('CSV: header by name, quoted fields, CRLF, blank lines; bad rows are errors of their row', async (t) => {
  const rows = parsePanel('csv', 'National_ID,MRN\r\n"A,1",H1-1\r\n\r\n,H1-2\n"x",\nX,H1-1\na,b,c\n,bad mrn!\n');
  t.same(rows, [
    { row: 1, mrn: 'H1-1', nationalId: 'A,1' },
    { row: 2, mrn: 'H1-2' },
    { row: 3, error: { code: 'MRN_MISSING', detail: rows[2] && 'error' in rows[2] ? rows[2].error.detail : '' } },
    { row: 4, error: { code: 'DUPLICATE_ROW', detail: 'an earlier row of this panel names the same MRN' } },
    { row: 5, error: { code: 'ROW_MALFORMED', detail: '3 fields where the header has 2' } },
    { row: 6, error: { code: 'ROW_MALFORMED', detail: 'the MRN holds characters no chart number has' } },
  ]);
  t.match(parsePanel('csv', 'mrn\n"H1-""9"\n'), [{ row: 1, error: { code: 'ROW_MALFORMED' } }], 'an escaped quote is data');
});

t.test('FHIR: a Bundle or NDJSON of Patients, MR the MRN and NI the national id', async (t) => {
  const patient = (mrn?: string, ni?: string) => ({
    resourceType: 'Patient',
    identifier: [...(mrn ? [{ type: { coding: [{ code: 'MR' }] }, value: mrn }] : []), ...(ni ? [{ type: { coding: [{ code: 'NI' }] }, value: ni }] : [])],
  });
  const bundle = { resourceType: 'Bundle', entry: [{ resource: patient('H1-1', 'N1') }, { resource: patient(undefined, 'N2') }, { resource: { resourceType: 'Observation' } }] };
  t.match(parsePanel('fhir-bundle', JSON.stringify(bundle)), [
    { row: 1, mrn: 'H1-1', nationalId: 'N1' },
    { row: 2, error: { code: 'MRN_MISSING' } },
    { row: 3, error: { code: 'ROW_MALFORMED' } },
  ]);
  t.match(parsePanel('ndjson', `${JSON.stringify(patient('H1-3'))}\n\n{oops\n`), [{ row: 1, mrn: 'H1-3' }, { row: 3, error: { code: 'ROW_MALFORMED' } }]);
});

t.test('a panel that cannot be read at all is one 400 PANEL_MALFORMED', async (t) => {
  for (const [format, text] of [
    ['csv', 'name\nx'],
    ['csv', 'mrn\n'],
    ['csv', 'mrn\n"open'],
    ['fhir-bundle', '{'],
    ['fhir-bundle', '{"resourceType":"Bundle"}'],
    ['ndjson', '\n\n'],
  ] as const) {
    let thrown: unknown;
    try {
      parsePanel(format, text);
    } catch (e) {
      thrown = e;
    }
    t.ok(thrown instanceof Problem && thrown.status === 400 && thrown.code === 'PANEL_MALFORMED', `${format}: ${JSON.stringify(text)}`);
  }
});

t.test('the media type names the format', async (t) => {
  t.equal(panelFormat('text/csv; charset=utf-8'), 'csv');
  t.equal(panelFormat('application/fhir+json'), 'fhir-bundle');
  t.equal(panelFormat('application/fhir+ndjson'), 'ndjson');
  t.equal(panelFormat('text/plain'), undefined);
  t.equal(panelFormat(undefined), undefined);
});
