/**
 * What the external-id index change (docs/privacy.md §2) costs per index entry, measured in the same
 * run in alternating chunks: before, HMAC-SHA256 under the consortium key; after, the home's own
 * RFC 9497 OPRF entry (registration, panel rows, chart proofs of its own charts) and a whole blinded
 * lookup as another hospital makes one (blind, the home's evaluation, unblind; without the HTTP hop).
 * The ledger side does not change: an entry is 64 hex before and after, so block bytes are equal.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { blindLookup, IndexKey } from '@medrec/client/protocol';
import { opensslEcdhX } from '../../src/services/registrar/native-ecdh.js';

export interface ExternalIdCost {
  before_hmac_per_s: number;
  after_own_per_s: number;
  after_lookup_per_s: number;
  own_ratio: number;
  lookup_ratio: number;
  entry_hex_chars: { before: number; after: number };
}

export function externalIdCost(chunks = 6, perChunk = 100): ExternalIdCost {
  const consortiumKey = randomBytes(32).toString('base64url');
  const key = new IndexKey(randomBytes(32).toString('base64url'), opensslEcdhX);
  const id = (i: number) => `SYN-${100 + (i % 900)}-${String(i).padStart(6, '0')}`;
  const ops = {
    hmac: (i: number) => createHmac('sha256', consortiumKey).update(`national-id:${id(i)}`).digest('hex'),
    own: (i: number) => key.ownHash('national-id', id(i)),
    lookup: (i: number) => {
      const lookup = blindLookup('national-id', id(i));
      return lookup.finish(key.evaluate(lookup.blinded));
    },
  };
  const seconds = { hmac: 0, own: 0, lookup: 0 };
  for (const name of Object.keys(ops) as (keyof typeof ops)[]) ops[name](0); // warm up
  for (let c = 0; c < chunks; c++) {
    for (const name of Object.keys(ops) as (keyof typeof ops)[]) {
      const t0 = performance.now();
      for (let i = 0; i < perChunk; i++) ops[name](c * perChunk + i);
      seconds[name] += (performance.now() - t0) / 1000;
    }
  }
  const n = chunks * perChunk;
  const rate = (s: number) => Number((n / s).toFixed(1));
  return {
    before_hmac_per_s: rate(seconds.hmac),
    after_own_per_s: rate(seconds.own),
    after_lookup_per_s: rate(seconds.lookup),
    own_ratio: Number((seconds.hmac / seconds.own).toFixed(5)),
    lookup_ratio: Number((seconds.hmac / seconds.lookup).toFixed(5)),
    entry_hex_chars: { before: ops.hmac(1).length, after: ops.own(1).length },
  };
}
