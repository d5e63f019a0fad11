/**
 * The app's demo people: on a demo installation's first start, Hospital 1's registrar issues a
 * one-time activation code to Dana (a synthetic patient treated at both hospitals) and to Vera (someone
 * Dana can share with). Each hospital that treats Dana registers a delegate for its chart of her and
 * gives her its code (docs/privacy.md §3), and its demo provider opens a relationship with that
 * delegate — so a newcomer activates in the app with the home code, adds each hospital's code under
 * "Hospitals", and finds two relationships waiting for her that share no identifier on the ledger.
 * Everything goes over the gateways' HTTPS API, as a registrar's and a provider's app would.
 * The codes are kept in a 0600 file and printed at every start until the data directory is deleted
 * (each works once: after that the person unlocks the app with her device passphrase).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MedrecSystem, RunningGateway } from '../src/system/system.js';
import { login, ok } from './json-client.js';
import { demoPatients, type DemoPatient } from './seed/population.js';
import { trustTlsRoots } from './trust.js';

export interface AppInvitation {
  appUrl: string;
  patient: { username: string; code: string; expiresAt: string };
  viewer: { username: string; code: string; expiresAt: string };
  /** one delegate code per hospital where Dana has a relationship (absent in a file written before them) */
  delegates?: { mspId: string; code: string; expiresAt: string }[];
  relationships: number;
}

const FILE = 'app-invitation.json';

/** Dana: a person of Hospital 1's EHR also treated at Hospital 2, none of the demo users. */
export function appPatient(patients: number): DemoPatient {
  return demoPatients('hospital1', { patients }).filter((p) => p.alsoAt)[1]!;
}

/** Reads the invitation a previous start wrote, or issues it (first start of a demo installation). */
export async function inviteAppUsers(system: MedrecSystem, gateways: RunningGateway[], options: { patients: number; registrarPassword: string }): Promise<AppInvitation | null> {
  if (!system.config.seedDemo) return null;
  const file = join(system.config.dataDir, FILE);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as AppInvitation;
  const home = gateways.find((g) => g.mspId === 'Hospital1MSP');
  const other = gateways.find((g) => g.mspId === 'Hospital2MSP');
  if (!home || !other) return null;
  trustTlsRoots(system.tlsRootsFile);
  const dana = appPatient(options.patients);
  const registrar = await login(home.url, 'registrar', options.registrarPassword);
  const issue = (body: Record<string, string>) => ok(home.url, 'POST', '/registrar/activations', registrar, body);
  const patient = await issue({ username: 'dana', role: 'patient', externalIdKind: 'national-id', externalId: dana.externalId });
  const viewer = await issue({ username: 'vera', role: 'viewer', externalIdKind: 'national-id', externalId: 'VIEWER-VERA-1' });
  const providers: [RunningGateway, string, string][] = [[home, 'dr-ada', dana.mrn], [other, 'dr-grey', dana.alsoAt!.mrn]];
  const delegates: NonNullable<AppInvitation['delegates']> = [];
  for (const [gateway, provider, mrn] of providers) {
    const registrarThere = await login(gateway.url, 'registrar', options.registrarPassword);
    const delegate = await ok(gateway.url, 'POST', '/registrar/delegates', registrarThere, { mrn });
    delegates.push({ mspId: gateway.mspId, code: delegate.code as string, expiresAt: delegate.expiresAt as string });
    const token = await login(gateway.url, provider, `${provider}-demo-pass`);
    await ok(gateway.url, 'POST', '/relationships', token, { patientId: delegate.participantId, mrn });
  }
  const invitation: AppInvitation = {
    appUrl: `${home.url}/app/`,
    patient: { username: 'dana', code: patient.code as string, expiresAt: patient.expiresAt as string },
    viewer: { username: 'vera', code: viewer.code as string, expiresAt: viewer.expiresAt as string },
    delegates,
    relationships: providers.length,
  };
  writeFileSync(file, `${JSON.stringify(invitation, null, 2)}\n`, { mode: 0o600 });
  return invitation;
}

/** The banner's lines for the invitation. */
export function invitationLines(invitation: AppInvitation): string[] {
  const until = (at: string) => at.slice(0, 16).replace('T', ' ');
  const name = (mspId: string) => mspId.replace(/MSP$/, '').replace(/(\D)(\d)/, '$1 $2');
  return [
    '',
    `Try the app as a patient: open ${invitation.appUrl} and choose "Activate"`,
    `  Dana (patient; ${invitation.relationships} hospitals have opened a relationship with her): code ${invitation.patient.code}`,
    ...(invitation.delegates ?? []).map(
      (d) => `    then, under "Hospitals", ${name(d.mspId)}'s code for her relationship there:  ${d.code}`,
    ),
    `  Vera (viewer; Dana can share records with her):                   code ${invitation.viewer.code}`,
    `  Each code works once, until ${until(invitation.patient.expiresAt)} UTC; after that the app unlocks with the device passphrase you chose.`,
  ];
}
