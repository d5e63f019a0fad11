import { createServer, type Server, type Socket } from 'node:net';
import mssql from 'mssql';
import t from 'tap';
import { poolConfig } from '../../src/adapters/ehr/mssql/config.js';
import { MssqlEhrStore, type MssqlPoolLike } from '../../src/adapters/ehr/mssql/store.js';
import { UnknownCategoryError } from '../../src/services/records/categories.js';
import { loadHospitalMapping } from '../../src/services/records/hospitals.js';
import { changeQueriesFor, queriesFor } from '../../src/services/records/mapping.js';
import { seedHospital } from '../../demo/seed/seed.js';
import { EhrUnavailableError } from '../../src/ports/ehr.js';
import { ehrStoreContract, INJECTION_KEYS } from './contract.js';

const MSSQL_URL = process.env['MEDREC_MSSQL_URL'];

/** Records what the store asks of the driver: a stand-in for the pool in unit tests only. */
class RecordingPool implements MssqlPoolLike {
  connects = 0;
  closed = 0;
  calls: { inputs: { name: string; type: unknown; value: unknown }[]; sql: string }[] = [];
  connectError: unknown;
  queryError: unknown;
  rows: Record<string, unknown>[] = [];

  async connect() {
    this.connects++;
    if (this.connectError) throw this.connectError;
    return this;
  }
  request() {
    const call = { inputs: [] as { name: string; type: unknown; value: unknown }[], sql: '' };
    this.calls.push(call);
    return {
      input: (name: string, type: unknown, value: unknown) => call.inputs.push({ name, type, value }),
      query: async (sql: string) => {
        call.sql = sql;
        if (this.queryError) throw this.queryError;
        return { recordset: this.rows };
      },
    };
  }
  async close() {
    this.closed++;
  }
}

const h1 = queriesFor(loadHospitalMapping('hospital1'), 'mssql');

t.test('every T-SQL template runs as-is with the key bound as NVARCHAR(64) @patientKey', async (t) => {
  const pool = new RecordingPool();
  const store = new MssqlEhrStore(pool, h1);
  for (const [category, template] of Object.entries(h1)) {
    for (const key of ['H1-000100', ...INJECTION_KEYS]) {
      pool.calls = [];
      await store.query(category, key);
      const [call] = pool.calls;
      t.equal(call?.sql, template, `${category}: the template text, untouched (the key is never spliced in)`);
      t.equal(call!.inputs.length, 1, 'exactly one parameter');
      const input = call!.inputs[0]!;
      t.equal(input.name, 'patientKey');
      t.equal(input.value, key, 'the key is passed as the value');
      t.equal((input.type as { type: unknown }).type, mssql.NVarChar, 'typed NVARCHAR');
      t.equal((input.type as { length: unknown }).length, 64, 'of length 64');
    }
  }
  t.equal(pool.connects, 1, 'one pool, connected once');
});

t.test('driver values come back as the port’s plain scalars', async (t) => {
  const pool = new RecordingPool();
  pool.rows = [{ a: new Date('2024-01-02T03:04:05Z'), b: true, c: false, d: 12.5, e: null, f: 'x', g: BigInt(7), h: undefined }];
  const rows = await new MssqlEhrStore(pool, h1).query('Patient', 'H1-000100');
  t.same(rows, [{ a: '2024-01-02T03:04:05.000Z', b: 1, c: 0, d: 12.5, e: null, f: 'x', g: 7, h: null }]);
});

t.test('refusals happen before the database is touched', async (t) => {
  const pool = new RecordingPool();
  const store = new MssqlEhrStore(pool, h1);
  for (const bad of ['Specimen', '__proto__', 'constructor', 'hasOwnProperty', '']) {
    await t.rejects(store.query(bad, 'H1-000100'), UnknownCategoryError, `unknown category ${JSON.stringify(bad)}`);
  }
  t.same(await store.query('Patient', 'x'.repeat(65)), [], 'a key longer than any MRN finds nothing');
  t.same(await store.query('Patient', `H1-000100${' '.repeat(60)}`), [], 'so it can never be truncated into a real MRN');
  await t.rejects(store.query('Patient', 7 as unknown as string), TypeError, 'non-string key');
  t.equal(pool.connects, 0, 'never connected');
  t.equal(pool.calls.length, 0, 'never queried');
});

t.test('connection failures are EhrUnavailableError, and the next call tries again', async (t) => {
  const pool = new RecordingPool();
  pool.connectError = Object.assign(new Error('Failed to connect'), { name: 'ConnectionError', code: 'ESOCKET' });
  const store = new MssqlEhrStore(pool, h1);
  await t.rejects(store.query('Patient', 'H1-000100'), EhrUnavailableError);
  await t.rejects(store.ping(), EhrUnavailableError);
  t.equal(pool.connects, 2, 'each call retried the connection');
  pool.connectError = undefined;
  pool.rows = [{ patient_id: 1 }];
  t.same(await store.query('Patient', 'H1-000100'), [{ patient_id: 1 }], 'a database that comes back is used');
  await store.close();
  t.equal(pool.closed, 1, 'the connected pool is closed');
});

t.test('request timeouts and lost sockets are EhrUnavailableError; query bugs are not', async (t) => {
  const pool = new RecordingPool();
  const store = new MssqlEhrStore(pool, h1);
  for (const code of ['ETIMEOUT', 'ESOCKET', 'ECONNCLOSED', 'ENOTOPEN']) {
    pool.queryError = Object.assign(new Error('driver'), { name: 'RequestError', code });
    await t.rejects(store.query('Observation', 'H1-000100'), EhrUnavailableError, code);
  }
  pool.queryError = Object.assign(new Error("Invalid object name 'dbo.lab_results'."), { name: 'RequestError', code: 'EREQUEST' });
  const err = await store.query('Observation', 'H1-000100').catch((e: unknown) => e);
  t.notOk(err instanceof EhrUnavailableError, 'a broken query is a server error, not an outage');
  t.match(err, { code: 'EREQUEST' });
});

t.test('closing a store that never connected does nothing', async (t) => {
  const pool = new RecordingPool();
  await new MssqlEhrStore(pool, h1).close();
  t.equal(pool.closed, 0);
});

t.test('pool configuration: explicit limits and timeouts from URL or ADO strings', async (t) => {
  const fromUrl = poolConfig({
    url: 'mssql://medrec%20reader:p%40ss@db.example.org:14330/ehr_h1?encrypt=true&trustServerCertificate=true',
    poolMax: 4,
    connectionTimeoutMs: 1500,
    requestTimeoutMs: 2500,
  });
  t.match(fromUrl, {
    server: 'db.example.org', port: 14330, user: 'medrec reader', password: 'p@ss', database: 'ehr_h1',
    connectionTimeout: 1500, requestTimeout: 2500, pool: { max: 4, min: 0 },
    options: { encrypt: true, trustServerCertificate: true },
  });
  t.match(poolConfig({ url: 'mssql://sa:x@localhost/ehr' }), {
    connectionTimeout: 5000, requestTimeout: 10000, pool: { max: 10 }, options: { encrypt: true, trustServerCertificate: false },
  }, 'safe defaults: encrypted, certificate checked');
  t.match(poolConfig({ url: 'Server=sql1,1444;Database=ehr;User Id=reader;Password=secret;Encrypt=false', database: 'ehr_h2' }), {
    server: 'sql1', port: 1444, user: 'reader', password: 'secret', database: 'ehr_h2', pool: { max: 10 },
  }, 'ADO.NET string, database overridden per hospital');
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

t.test('a real pool against a closed port fails closed with EhrUnavailableError', { timeout: 15000 }, async (t) => {
  const port = await closedPort();
  const store = MssqlEhrStore.open({ url: `mssql://sa:x@127.0.0.1:${port}/ehr?encrypt=false`, connectionTimeoutMs: 1000 }, h1);
  await t.rejects(store.query('Patient', 'H1-000100'), EhrUnavailableError);
  await t.rejects(store.ping(), EhrUnavailableError);
  await store.close();
});

t.test('a server that accepts but never answers times out into EhrUnavailableError', { timeout: 15000 }, async (t) => {
  const sockets: Socket[] = [];
  const silent: Server = createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });
  const { port } = silent.address() as { port: number };
  const store = MssqlEhrStore.open({ url: `mssql://sa:x@127.0.0.1:${port}/ehr?encrypt=false`, connectionTimeoutMs: 800 }, h1);
  await t.rejects(store.query('Patient', 'H1-000100'), EhrUnavailableError);
  await store.close();
});

if (!MSSQL_URL) {
  t.test('SQL Server EHR store contract', { skip: 'MEDREC_MSSQL_URL not set: SQL Server contract tests skipped' }, () => {});
} else {
  const options = { patients: 12, seed: 'contract-mssql' };
  for (const hospital of ['hospital1', 'hospital2']) {
    t.test(`SQL Server EHR store contract: ${hospital}`, { timeout: 300000 }, async (t) => {
      const database = process.env[`MEDREC_MSSQL_DATABASE_${hospital.toUpperCase()}`];
      const target = { url: MSSQL_URL, ...(database ? { database } : {}) };
      await seedHospital(hospital, { kind: 'mssql', ...target }, options);
      await ehrStoreContract(t, {
        hospital,
        options,
        open: async () => MssqlEhrStore.open(target, queriesFor(loadHospitalMapping(hospital), 'mssql'), changeQueriesFor(loadHospitalMapping(hospital), 'mssql')),
      });
    });
  }
}
