/**
 * A hospital admin's channel operations, in Node, with no Fabric binaries: the same as
 * network/push-crl.sh, for the gateway's hospital-admin route.
 */

/** The hospital admin's identity (NodeOU admin of the hospital's MSP, PEM). */
export interface AdminIdentity {
  mspId: string;
  certificate: string;
  privateKey: string;
}

/** A gRPC endpoint with TLS: host:port, the PEM of its TLS CA, and the name its certificate carries. */
export interface Endpoint {
  endpoint: string;
  tlsRootCert: string;
  hostAlias?: string;
}

export interface CaOptions {
  url: string;
  caName: string;
  tlsRootCert: string;
}

/** The CA's current CRL (PEM), issued at the admin's request (the admin needs hf.GenCRL). */
export function generateCrl(ca: CaOptions, admin: AdminIdentity): Promise<string>;

export interface PushCrlOptions {
  channel: string;
  admin: AdminIdentity;
  /** The organisation whose MSP gets the CRL: the admin's own (the default); the orderer refuses another. */
  mspId?: string;
  /** The CRL to carry, PEM (generateCrl); refused unless one of the organisation's CAs signed it. */
  crlPem: string;
  /** The hospital's own peer: reads the channel configuration, and is waited for. */
  peer: Endpoint;
  /** The hospital's own orderer: the update is broadcast to it. */
  orderer: Endpoint;
  /** Other peers to wait for (each must answer the admin: channel Readers). */
  waitFor?: Endpoint[];
  /** How long to wait for the configuration to be committed, ms (default 30 000). */
  timeoutMs?: number;
}

export interface PushCrlResult {
  mspId: string;
  /** Serial numbers of the revoked certificates, lower-case hex without leading zeros. */
  revokedSerials: string[];
  crlSha256: string;
  /** The channel configuration's sequence after the update (or as it was, if unchanged). */
  configSequence: number;
  /** True when the channel already carried a CRL revoking the same certificates: nothing was submitted. */
  unchanged: boolean;
}

/**
 * Puts the CRL into the admin's organisation's MSP definition on the channel (in the Application
 * group and, where the organisation orders too, the Orderer group), signed by that admin alone (an
 * organisation's MSP value is governed by its own Admins), and waits until the peers have committed
 * it. Rejects with ChannelAdminError (code: FORBIDDEN when the orderer refuses the signature or
 * policy, UNAVAILABLE when a peer or orderer cannot be reached, TIMEOUT when the commit is not seen).
 */
export function pushCrl(options: PushCrlOptions): Promise<PushCrlResult>;

export class ChannelAdminError extends Error {
  readonly code: 'FORBIDDEN' | 'UNAVAILABLE' | 'TIMEOUT' | 'INVALID_ARGUMENT';
}
