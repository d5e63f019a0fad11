import { fileURLToPath } from 'node:url';
import { loadMapping, type HospitalMapping } from './mapping.js';

/** gateway/config/hospitals: one folder per hospital holding its mapping.json (resolved from dist/src/services/records). */
export const HOSPITALS_CONFIG_DIR = fileURLToPath(new URL('../../../../config/hospitals/', import.meta.url));

export function mappingFile(hospital: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(hospital)) throw new Error(`bad hospital name ${JSON.stringify(hospital)}`);
  return `${HOSPITALS_CONFIG_DIR}${hospital}/mapping.json`;
}

/** Loads and validates a configured hospital's mapping; a bad file stops startup with every problem listed. */
export function loadHospitalMapping(hospital: string): HospitalMapping {
  const mapping = loadMapping(mappingFile(hospital));
  if (mapping.hospital !== hospital) {
    throw new Error(`${mappingFile(hospital)} describes hospital ${mapping.hospital}, not ${hospital}`);
  }
  return mapping;
}
