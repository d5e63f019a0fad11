import '../src/system/quiet-chaincode.js';
import { demoPatientCount, demoProvisioner, DEMO_HOSPITALS, DEMO_REGISTRAR_PASSWORD, DEMO_STEWARDS } from '../demo/index.js';
import { appPatient, invitationLines, inviteAppUsers, type AppInvitation } from '../demo/app-invitation.js';
import { populateOnFirstStart } from '../demo/research-population.js';
import { loadConfig } from '../src/system/config.js';
import { closeAll, openSystem, startGateways, type MedrecSystem, type RunningGateway } from '../src/system/system.js';

/** `npm start`: every configured hospital's gateway on one ledger, in this process. */

function banner(system: MedrecSystem, gateways: RunningGateway[], invitation: AppInvitation | null): string {
  const lines = ['', 'MedRec is running.', ''];
  for (const g of gateways) {
    lines.push(`  ${g.mspId.padEnd(14)} ${g.url}   API docs: ${g.url}/docs   health: ${g.url}/ready`);
  }
  lines.push('', 'The MedRec app (patients and viewers; each hospital serves it):');
  for (const g of gateways) lines.push(`  ${g.mspId.padEnd(14)} ${g.url}/app/`);
  if (invitation) lines.push(...invitationLines(invitation));
  lines.push('', `  Data: ${system.config.dataDir} (delete it to start over)`);
  const cacert = system.tlsRootsFile ? ` --cacert ${system.tlsRootsFile}` : '';
  if (system.tlsRootsFile) {
    lines.push(`  HTTPS: the hospitals' TLS CAs are in ${system.tlsRootsFile} (curl --cacert; the CLI: NODE_EXTRA_CA_CERTS)`);
  }
  const users = Object.entries(system.provisioned).filter(([, u]) => u.length > 0);
  if (users.length === 0) {
    lines.push('', "  Each hospital's registrar password is in <hospital data dir>/registrar.password.");
  }
  if (users.length > 0) {
    lines.push('', 'Demo users (username / password):');
    for (const [mspId, list] of users) {
      lines.push(`  ${mspId}: registrar / ${DEMO_REGISTRAR_PASSWORD}`);
      for (const u of list) {
        const also = u.alsoAt ? `; MRN ${u.alsoAt.mrn} at ${u.alsoAt.hospital}` : '';
        const mrn = u.mrn ? `  (${u.externalIdKind} ${u.externalId}; local MRN ${u.mrn}${also})` : '';
        lines.push(`  ${mspId}: ${u.username} / ${u.password}  [${u.role}]${mrn}`);
      }
    }
    const first = gateways[0]!;
    lines.push(
      '',
      'Try it:',
      `  curl -s${cacert} -X POST ${first.url}/auth/login -H 'content-type: application/json' \\`,
      `       -d '{"username":"alice","password":"alice-demo-pass"}'`,
      `  curl -s${cacert} ${first.url}/me/summary -H "authorization: Bearer $TOKEN"`,
      '  npm run demo     # walks the whole flow over HTTP on a fresh temporary system',
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const started = Date.now();
  const config = loadConfig(process.env, {}, { demoSeeds: DEMO_HOSPITALS });
  const patients = demoPatientCount(config);
  // The demo's data and people, handed in: with MEDREC_SEED_DEMO=false none of it is created.
  const system = await openSystem(config, { provisioner: demoProvisioner({ patients }) });
  let gateways: RunningGateway[] = [];
  let invitation: AppInvitation | null;
  try {
    gateways = await startGateways(system);
    invitation = await inviteAppUsers(system, gateways, { patients, registrarPassword: DEMO_REGISTRAR_PASSWORD });
  } catch (err) {
    await closeAll(system, gateways);
    throw err;
  }
  process.stdout.write(`${banner(system, gateways, invitation)}\n\n`);
  let stopping = false;
  process.stdout.write(`Gateways ready in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
  // The research population fills in behind the running gateways (it takes a minute or so).
  const dana = appPatient(patients);
  const people = [...Object.values(system.provisioned).flat(), dana];
  const skip = new Set(people.flatMap((u) => [u.mrn, u.alsoAt?.mrn]).filter((m): m is string => m !== undefined));
  void populateOnFirstStart(system, {
    patients,
    registrarPassword: DEMO_REGISTRAR_PASSWORD,
    stewards: DEMO_STEWARDS,
    skip,
    progress: (msp, done, of) => process.stdout.write(`  research population ${msp}: ${done}/${of} patients\n`),
  }).then(
    (population) => {
      if (population?.state === 'seeded') {
        const line = population.reports.map((r) => `${r.mspId} ${r.patients} patients, ${r.consented} opted in`).join('; ');
        process.stdout.write(`Research population seeded in ${(population.ms / 1000).toFixed(1)} s (${((Date.now() - started) / 1000).toFixed(1)} s after start): ${line}.\n`);
      }
      if (population?.state === 'interrupted') {
        process.stdout.write(`The research population's seeding was interrupted earlier; delete ${system.config.dataDir} to seed it again.\n`);
      }
    },
    (err: unknown) => {
      if (!stopping) process.stderr.write(`research population not seeded: ${(err as Error).message}\n`);
    },
  );
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping\n`);
    await closeAll(system, gateways);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`medrec failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
