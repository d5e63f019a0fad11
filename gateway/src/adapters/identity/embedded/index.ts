export { EmbeddedCa, ROLES, type EmbeddedCaOptions } from './ca.js';
export { FABRIC_ATTR_OID } from './certificates.js';
