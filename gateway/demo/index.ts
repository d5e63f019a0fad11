/**
 * The demo: synthetic EHR databases, demo users with demo passwords, and the walk-through of the
 * white paper's Figure 2. The product (src/) never imports this; the entry points hand it to the
 * composition root.
 */
import type { Provisioner } from '../src/system/system.js';
import { seedHospital } from './seed/seed.js';
import { DEMO_HOSPITALS } from './seed/population.js';
import { demoUsersFor } from './users.js';

export { DEMO_HOSPITALS };

/** The demo registrar's password, printed at start. */
export const DEMO_REGISTRAR_PASSWORD = 'registrar-demo-pass';

/** Seeds the demo hospitals' EHR databases and creates their demo users on first start. */
export function demoProvisioner(): Provisioner {
  return {
    seedEhr: async (dataSet, target) => {
      await seedHospital(dataSet, target);
    },
    users: (hospital) => (hospital.ehr.demoSeed ? demoUsersFor(hospital.ehr.demoSeed) : []),
    registrarPassword: DEMO_REGISTRAR_PASSWORD,
  };
}
