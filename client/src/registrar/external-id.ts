/**
 * The external-id index key (docs/privacy.md §2): a patient's index entry on the ledger is
 * `ext[F(k_home, kind:externalId)]`, with F the RFC 9497 OPRF (P-256, SHA-256) and k_home a key only
 * her home hospital's gateway holds. No other member can compute F offline, so enumerating a
 * national-id format against the public index is impossible without the home; another hospital
 * gets F of a national id on its own chart by asking the home to evaluate it *blindly*: the home
 * learns neither the id nor the output, and counts and audits each evaluation.
 */
import { p256_oprf } from '@noble/curves/nist.js';
import { base64url, bytesToHex } from '../bytes.js';

const { oprf } = p256_oprf;
const text = new TextEncoder();

/** `typ` of a signed blind-evaluation request: no data request, audit query or login passes for one. */
export const EXTERNAL_ID_LOOKUP_TYP = 'medrec-extid+jws';
/** A compressed P-256 point, base64url: what a blinded element and an evaluated one look like. */
export const POINT_B64 = /^[A-Za-z0-9_-]{44}$/;

const input = (kind: string, externalId: string) => text.encode(`${kind}:${externalId}`);

export interface BlindedLookup {
  /** sent to the home: reveals nothing of the id */
  blinded: string;
  /** with the home's evaluation, the index entry's key (64 lowercase hex) */
  finish(evaluated: string): string;
}

/** Another hospital's side: blind the id for one home (a fresh blind per home and per lookup). */
export function blindLookup(kind: string, externalId: string): BlindedLookup {
  const { blind, blinded } = oprf.blind(input(kind, externalId));
  return {
    blinded: base64url.encode(blinded),
    finish: (evaluated) => bytesToHex(oprf.finalize(input(kind, externalId), blind, base64url.decode(evaluated))),
  };
}
