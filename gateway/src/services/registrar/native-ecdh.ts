import { createECDH } from 'node:crypto';
import type { EcdhX } from '@medrec/client/protocol';

/** OpenSSL's P-256 ECDH for the index key's scalar multiplications (@medrec/client's IndexKey): one key object per key. */
export const opensslEcdhX: EcdhX = (privateKey) => {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(privateKey);
  return (point) => ecdh.computeSecret(point);
};
