/**
 * The demo: synthetic EHR databases, demo users with demo passwords, and the walk-through of the
 * white paper's Figure 2. The product (src/) never imports this; the entry points hand it to the
 * composition root.
 */
import type { GatewayConfig } from '../src/system/config.js';
import type { Provisioner } from '../src/system/system.js';
import { seedHospital } from './seed/seed.js';
import { DEFAULT_PATIENTS, DEMO_HOSPITALS } from './seed/population.js';
import { demoUsersFor } from './users.js';

export { DEMO_HOSPITALS };

/** The demo registrar's password, printed at start. */
export const DEMO_REGISTRAR_PASSWORD = 'registrar-demo-pass';

/**
 * Patients per demo hospital: enough for research answers that are not all suppressed (npm start, npm
 * run demo) on the embedded ledger; the small default elsewhere (a Fabric network's gateways, tests).
 * MEDREC_DEMO_PATIENTS overrides it.
 */
export function demoPatientCount(config: Pick<GatewayConfig, 'ledger'>, env: Record<string, string | undefined> = process.env): number {
  const asked = env.MEDREC_DEMO_PATIENTS === undefined ? undefined : Number(env.MEDREC_DEMO_PATIENTS);
  if (asked !== undefined && (!Number.isInteger(asked) || asked < 10 || asked > 100_000)) throw new Error('MEDREC_DEMO_PATIENTS must be an integer 10..100000');
  return asked ?? (config.ledger.adapter === 'embedded' ? 1500 : DEFAULT_PATIENTS);
}

/** Seeds the demo hospitals' EHR databases (`patients` each) and creates their demo users on first start. */
export function demoProvisioner(options: { patients?: number } = {}): Provisioner {
  const patients = options.patients ?? DEFAULT_PATIENTS;
  return {
    seedEhr: async (dataSet, target) => {
      await seedHospital(dataSet, target, { patients });
    },
    users: (hospital) => (hospital.ehr.demoSeed ? demoUsersFor(hospital.ehr.demoSeed, patients) : []),
    registrarPassword: DEMO_REGISTRAR_PASSWORD,
  };
}

/** The demo's research stewards: one researcher per demo hospital, named by its registrar. */
export const DEMO_STEWARDS: Record<string, string> = { Hospital1MSP: 'stu', Hospital2MSP: 'sam' };
