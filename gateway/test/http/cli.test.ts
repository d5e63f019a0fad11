/**
 * The `medrec` CLI (client/) as a patient runs it — a child process with its own wallet file —
 * against the real gateways and the embedded ledger running the real chaincode: enrol by activation
 * code, list (a device-signed Summary.mine: a device session holds no key for /me/summary), accept,
 * opt in and out of research and ask which studies used the data; redeem a providing hospital's
 * delegate code, sign for that relationship with it, and assemble the summary on the device.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { demoPatients } from '../../demo/seed/population.js';
import { api, login, removeDir, startTestSystem } from './support.js';

t.setTimeout(240_000);

const CLI = fileURLToPath(new URL('../../../../client/dist/src/cli/main.js', import.meta.url));
const sys = await startTestSystem();
const home = mkdtempSync(join(tmpdir(), 'medrec-cli-home-'));
t.teardown(async () => {
  await sys.close();
  removeDir(sys.dir);
  removeDir(home);
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function medrec(args: string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    MEDREC_WALLET: join(home, 'wallet.json'),
    MEDREC_PASSPHRASE: 'correct horse battery staple',
    MEDREC_WALLET_KDF_LOGN: '10',
    ...sys.clientEnv,
  };
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

t.test('a patient with a device-held key enrols, lists and accepts through the CLI', async (t) => {
  const person = demoPatients('hospital1').filter((p) => p.alsoAt)[2]!;
  const registrar = await login(sys.h1, 'registrar', 'registrar-demo-pass');
  const issued = await api(sys.h1, 'POST', '/registrar/activations', {
    token: registrar,
    body: { username: 'cli-patient', role: 'patient', externalIdKind: 'national-id', externalId: person.externalId },
  });
  t.equal(issued.status, 201);

  t.equal((await medrec(['init'])).code, 0);
  const enrol = await medrec(['enrol', 'h1', '--code', issued.json.code, '--gateway', sys.h1]);
  t.equal(enrol.code, 0, enrol.stderr);

  const empty = await medrec(['list']);
  t.equal(empty.code, 0, empty.stderr);
  t.same(JSON.parse(empty.stdout), [], 'no relationship yet');

  // Her home treats her under this identity; another hospital only under a delegate (the next test)
  const ada = await login(sys.h1, 'dr-ada');
  const created = await api(sys.h1, 'POST', '/relationships', { token: ada, body: { patientId: issued.json.participantId, mrn: person.mrn } });
  t.equal(created.status, 201);
  const grey = await login(sys.h2, 'dr-grey');
  const elsewhere = await api(sys.h2, 'POST', '/relationships', { token: grey, body: { patientId: issued.json.participantId, mrn: person.alsoAt!.mrn } });
  t.same([elsewhere.status, elsewhere.json.code], [403, 'DELEGATE_REQUIRED'], 'another hospital is refused her home identity');
  const rel = created.json.relationshipId as string;

  const listed = await medrec(['list']);
  t.equal(listed.code, 0, listed.stderr);
  t.match(JSON.parse(listed.stdout), [{ relationshipId: rel, role: 'patient', status: 'new' }], "the ledger's summary, read with the device's signature");

  const accepted = await medrec(['accept', rel]);
  t.equal(accepted.code, 0, accepted.stderr);
  t.match(JSON.parse(accepted.stdout), { status: 'VALID' });
  const after = await medrec(['list']);
  t.match(JSON.parse(after.stdout), [{ relationshipId: rel, status: 'accepted' }], 'list shows the committed acceptance');

  // Research (issue 12) with the key on the device: consent endorsed by Hospital 1, inclusions relayed to its gatekeeper.
  const optIn = await medrec(['research', 'opt-in', '--categories', 'Patient,Observation']);
  t.equal(optIn.code, 0, optIn.stderr);
  t.match(JSON.parse(optIn.stdout), { status: 'VALID', relationshipIds: [rel] });
  const included = await medrec(['research', 'inclusions']);
  t.equal(included.code, 0, included.stderr);
  t.match(JSON.parse(included.stdout), [{ relationshipId: rel, providerMspId: 'Hospital1MSP', inclusions: [] }], "asked of Hospital 1's gatekeeper: no study yet");
  const optOut = await medrec(['research', 'opt-out']);
  t.match(JSON.parse(optOut.stdout), { status: 'VALID', relationshipIds: [rel] });
  t.same(JSON.parse((await medrec(['research', 'opt-out'])).stdout), { relationshipIds: [] }, 'nothing left to withdraw');
  t.equal((await medrec(['research', 'opt-in'])).code, 64, 'opt-in names its categories');
  t.equal((await medrec(['research', 'sideways'])).code, 64, 'an unknown research action');
});

t.test('delegates through the CLI: a providing hospital\'s code, signed for with that identity, the summary assembled on the device', async (t) => {
  const person = demoPatients('hospital1').filter((p) => p.alsoAt)[3]!;
  const registrar2 = await login(sys.h2, 'registrar', 'registrar-demo-pass');
  const issued = await api(sys.h2, 'POST', '/registrar/delegates', { token: registrar2, body: { mrn: person.alsoAt!.mrn } });
  t.equal(issued.status, 201);
  const grey = await login(sys.h2, 'dr-grey');
  const created = await api(sys.h2, 'POST', '/relationships', { token: grey, body: { patientId: issued.json.participantId, mrn: person.alsoAt!.mrn } });
  t.equal(created.status, 201, 'the provider opens the relationship with the delegate');
  const rel = created.json.relationshipId as string;

  t.equal((await medrec(['enrol-delegate', '--code', issued.json.code])).code, 64, 'a gateway is needed');
  const enrolled = await medrec(['enrol-delegate', '--code', issued.json.code, '--gateway', sys.h2]);
  t.equal(enrolled.code, 0, enrolled.stderr);
  const identity = JSON.parse(enrolled.stdout) as { name: string };
  t.match(identity, { name: 'delegate-Hospital2MSP-0', uri: 'medrec://delegate/Hospital2MSP/0', enrollment: { participantId: issued.json.participantId } });
  t.equal((await medrec(['enrol-delegate', '--code', issued.json.code, '--gateway', sys.h2])).code, 2, 'a spent code is refused');

  const refused = await medrec(['accept', rel]);
  t.equal(refused.code, 2, 'her first identity does not sign for the delegate\'s relationship');
  const accepted = await medrec(['accept', rel, '--identity', identity.name]);
  t.equal(accepted.code, 0, accepted.stderr);
  t.match(JSON.parse(accepted.stdout), { status: 'VALID' });

  const summary = await medrec(['summary']);
  t.equal(summary.code, 0, summary.stderr);
  const entries = JSON.parse(summary.stdout) as { identity: string; relationshipId: string; status: string }[];
  t.match(entries.find((e) => e.relationshipId === rel), { identity: identity.name, status: 'accepted' }, "the delegate's relationship, read at Hospital 2");
  t.ok(entries.some((e) => e.identity === 'h1'), 'and the home identity\'s, read at Hospital 1');
});
