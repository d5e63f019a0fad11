export { EmbeddedCa, type EmbeddedCaOptions } from './ca.js';
export { FABRIC_ATTRS_OID as FABRIC_ATTR_OID } from '../../../pki/certificate.js';
