import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { loadHospitalMapping, mappingFile } from '../../src/services/records/hospitals.js';
import { changeQueriesFor, loadMapping, MappingError, parseMapping, queriesFor, sqlProblems, type HospitalMapping } from '../../src/services/records/mapping.js';
import type { TapTest } from './contract.js';

const good = (): HospitalMapping => JSON.parse(readFileSync(mappingFile('hospital1'), 'utf8')) as HospitalMapping;

function refused(t: TapTest, edit: (m: Record<string, any>) => void, problem: RegExp, name: string) {
  const mapping = good() as unknown as Record<string, any>;
  edit(mapping);
  t.throws(() => parseMapping(mapping, 'test-mapping.json'), { name: 'MappingError', message: problem }, name);
}

t.test('every demo hospital loads, with SQL for every category in both dialects', async (t) => {
  for (const hospital of ['hospital1', 'hospital2', 'hospital3']) {
    const mapping = loadHospitalMapping(hospital);
    t.equal(mapping.hospital, hospital);
    t.equal(Object.keys(queriesFor(mapping, 'sqlite')).length, 8, `${hospital}: 7 SQLite category queries and the chart identifier's`);
    t.equal(Object.keys(queriesFor(mapping, 'mssql')).length, 8, `${hospital}: 7 T-SQL category queries and the chart identifier's`);
    t.match(mapping.chartIdentifier, { externalIdKind: 'national-id' }, `${hospital}: declares which identifier proves a chart's person`);
  }
  t.not(
    loadHospitalMapping('hospital1').categories.Observation!.sql.sqlite,
    loadHospitalMapping('hospital2').categories.Observation!.sql.sqlite,
    'the two hospitals really have different schemas',
  );
});

t.test("the chart identifier's SQL obeys the mapping's SQL rules", async (t) => {
  refused(t, (m) => (m.chartIdentifier = { ...m.chartIdentifier, sql: { ...m.chartIdentifier.sql, sqlite: 'DELETE FROM patients' } }), /chartIdentifier\/sql\/sqlite/, 'a write');
  refused(t, (m) => (m.chartIdentifier = { ...m.chartIdentifier, column: 'x; DROP' }), /chartIdentifier/, 'a column that is no name');
});

t.test('a bad mapping file is refused with its problems listed', async (t) => {
  refused(t, (m) => delete m['categories'].Patient.sql.mssql, /\/categories\/Patient\/sql/, 'missing dialect');
  refused(t, (m) => (m['categories'].Patient.sql.sqlite = "SELECT * FROM patients WHERE mrn = '${key}'"),
    /must use the named parameter @patientKey/, 'key spliced into a string, no parameter');
  refused(t, (m) => (m['categories'].Patient.sql.sqlite = 'SELECT * FROM patients WHERE mrn = ?'),
    /must use the named parameter @patientKey[\s\S]*other parameters/, 'positional parameter');
  refused(t, (m) => (m['categories'].Patient.sql.mssql = 'SELECT * FROM dbo.patients WHERE mrn = @patientKey OR mrn = @other'),
    /other parameters or variables \(@other\)/, 'a second parameter');
  refused(t, (m) => (m['categories'].Patient.sql.sqlite = 'SELECT * FROM patients WHERE mrn = @patientKey; DROP TABLE patients'),
    /single statement/, 'two statements');
  refused(t, (m) => (m['categories'].Patient.sql.mssql = 'UPDATE dbo.patients SET city = NULL WHERE mrn = @patientKey'),
    /single SELECT/, 'a write');
  refused(t, (m) => (m['categories'].Patient.sql.mssql = 'WITH x AS (SELECT 1 AS a) DELETE FROM dbo.patients WHERE mrn = @patientKey'),
    /must not modify data/, 'a write hidden behind WITH');
  refused(t, (m) => m['categories'].Patient.elements.push({ path: 'ssn', column: 'mrn', type: 'string' }),
    /"ssn" is not an element Patient may carry/, 'element outside the category allowlist');
  refused(t, (m) => m['categories'].Patient.elements.push({ path: 'id', column: 'mrn', type: 'string' }),
    /"id" is not an element/, 'the id is not mappable from a column (it would let an MRN become the id)');
  refused(t, (m) => m['categories'].Patient.elements.push({ path: 'gender', column: 'sex', type: 'code' }), /mapped twice/, 'duplicate path');
  refused(t, (m) => m['categories'].Patient.elements.push({ path: 'name', const: 'x' }), /parent of another path/, 'conflicting paths');
  refused(t, (m) => (m['categories'].Specimen = m['categories'].Patient), /\/categories/, 'unknown category');
  refused(t, (m) => (m['categories'].Patient.id.prefix = 'pat/'), /\/categories\/Patient\/id\/prefix/, 'id prefix outside the FHIR id alphabet');
  refused(t, (m) => (m['categories'].Patient.elements[0].type = 'blob'), /\/categories\/Patient\/elements/, 'unknown value type');
  refused(t, (m) => (m['categories'].Patient.elements[1].path = 'identifier[0]..value'), /\/categories\/Patient\/elements/, 'bad path syntax');
  refused(t, (m) => (m['categories'].Patient.elements[1].column = 'mrn; DROP TABLE x'), /\/categories\/Patient\/elements/, 'bad column name');
  refused(t, (m) => (m['extra'] = true), /\//, 'unknown top-level key');
  refused(t, (m) => (m['categories'].Observation.elements = m['categories'].Observation.elements.filter((e: { path: string }) => e.path !== 'status')),
    /\/categories\/Observation\/elements: FHIR R4 requires Observation\.status/, 'a required element left unmapped');
  refused(t, (m) => (m['categories'].Immunization.elements = m['categories'].Immunization.elements.filter((e: { path: string }) => !e.path.startsWith('occurrence'))),
    /requires Immunization\.occurrence\[x\]/, 'a required choice element left unmapped');
  refused(t, (m) => (m['categories'].Patient.lastUpdated = { column: 'updated at' }), /\/categories\/Patient\/lastUpdated/, 'bad lastUpdated column');
  refused(t, (m) => (m['categories'] = {}), /\/categories/, 'no categories at all');
});

t.test('change queries: every demo category says how it detects change, and obeys the SQL rules with @since', async (t) => {
  for (const hospital of ['hospital1', 'hospital2', 'hospital3']) {
    const mapping = loadHospitalMapping(hospital);
    for (const dialect of ['sqlite', 'mssql'] as const) t.equal(Object.keys(changeQueriesFor(mapping, dialect)).length, 7, `${hospital}: 7 ${dialect} change queries`);
    for (const [category, m] of Object.entries(mapping.categories)) t.ok(m.changes?.detects, `${hospital} ${category}: detects is said`);
  }
  refused(t, (m) => (m['categories'].Observation.changes.sql.sqlite = 'SELECT seq AS version, mrn AS patientKey FROM medrec_changes WHERE seq > @patientKey'),
    /\/changes\/sql\/sqlite: must use the named parameter @since/, 'bound to the wrong parameter');
  refused(t, (m) => (m['categories'].Observation.changes.sql.mssql = 'DELETE FROM dbo.lab_results WHERE 1 = @since'), /\/changes\/sql\/mssql/, 'a write');
  refused(t, (m) => delete m['categories'].Observation.changes.detects, /\/categories\/Observation\/changes/, 'how it detects change left unsaid');
});

t.test('mapping files that cannot be read are refused, naming the file', async (t) => {
  const dir = t.testdir({ 'broken.json': '{ "hospital": ', 'empty.json': '' });
  t.throws(() => loadMapping(join(dir, 'broken.json')), { name: 'MappingError', message: /broken\.json[\s\S]*cannot read JSON/ });
  t.throws(() => loadMapping(join(dir, 'empty.json')), MappingError);
  t.throws(() => loadMapping(join(dir, 'missing.json')), MappingError);
  t.throws(() => loadHospitalMapping('../hospital1'), /bad hospital name/, 'no path tricks in hospital names');
});

t.test('sqlProblems: string literals and comments do not hide or fake a parameter', async (t) => {
  t.same(sqlProblems("SELECT * FROM p WHERE mrn = @patientKey AND note <> 'a;b @x ?'"), [], 'literals are ignored');
  t.same(sqlProblems('-- leading comment\nSELECT 1 AS a WHERE @patientKey IS NOT NULL;'), [], 'comment and trailing ";" are fine');
  t.match(sqlProblems("SELECT * FROM p WHERE mrn = '@patientKey'"), [/@patientKey/], 'a quoted "@patientKey" is not a parameter');
  t.match(sqlProblems('SELECT * FROM p /* @patientKey */ WHERE 1 = 1'), [/@patientKey/], 'a commented one neither');
  t.match(sqlProblems('SELECT @@VERSION WHERE @patientKey = 1'), [/@@VERSION/], 'server variables are refused');
  t.match(sqlProblems('EXEC sp_who @patientKey'), [/single SELECT/, /modify/], 'procedures are refused');
});
