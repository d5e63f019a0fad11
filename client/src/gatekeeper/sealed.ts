/**
 * Answers sealed to the device: the gatekeeper encrypts its answer to the requester's certificate key
 * as a compact JWE (alg ECDH-ES, enc A256GCM), so the home gateway that relays it, and any proxy, see
 * ciphertext only. The device opens it and re-hashes the records itself.
 */
import { compactDecrypt, errors as joseErrors } from 'jose';
import { utf8 } from '../bytes.js';
import { WalletError } from '../errors.js';
import { hashResources, type FhirResource } from '../fhir/hash.js';
import type { DeviceKey } from '../keys/device-key.js';

/** `cty` of a sealed gatekeeper answer. */
export const SEALED_ANSWER_CTY = 'medrec-answer+json';

/** The gatekeeper's answer (gateway/src/services/gatekeeper/answer.ts), as the device receives it. */
export interface GatekeeperAnswer {
  relationshipId: string;
  category: string;
  decision: string;
  fields: string[];
  projected: boolean;
  ledgerHash: string;
  sourceHash: string;
  hashMatches: boolean;
  version: number;
  bundle: {
    resourceType: 'Bundle';
    type: string;
    total?: number;
    meta?: Record<string, unknown>;
    entry: { fullUrl?: string; resource: FhirResource; search?: unknown }[];
  };
}

const invalid = (message: string, cause?: unknown) =>
  new WalletError('SEALED_ANSWER_INVALID', message, cause === undefined ? undefined : { cause });

export function isGatekeeperAnswer(body: unknown): body is GatekeeperAnswer {
  const b = body as Partial<GatekeeperAnswer> | undefined;
  return (
    typeof b?.relationshipId === 'string' &&
    typeof b.ledgerHash === 'string' &&
    typeof b.sourceHash === 'string' &&
    typeof b.hashMatches === 'boolean' &&
    typeof b.projected === 'boolean' &&
    b.bundle?.resourceType === 'Bundle' &&
    Array.isArray(b.bundle.entry)
  );
}

/**
 * Opens a sealed answer with the device key. With `jti`, the JWE's protected header must name that
 * request, so an answer to an older request cannot be passed off as the answer to this one.
 */
export async function openSealedAnswer(jwe: string, key: DeviceKey, expect: { jti?: string } = {}): Promise<GatekeeperAnswer> {
  let plaintext: Uint8Array;
  let header: Record<string, unknown>;
  try {
    const opened = await compactDecrypt(jwe, await key.agreementKey(), {
      keyManagementAlgorithms: ['ECDH-ES'],
      contentEncryptionAlgorithms: ['A256GCM'],
    });
    plaintext = opened.plaintext;
    header = opened.protectedHeader as Record<string, unknown>;
  } catch (cause) {
    if (cause instanceof joseErrors.JOSEAlgNotAllowed) throw invalid('the answer is not sealed with ECDH-ES and A256GCM', cause);
    throw invalid('the answer cannot be opened with this device key', cause);
  }
  if (header['cty'] !== SEALED_ANSWER_CTY) throw invalid(`the sealed content is not a ${SEALED_ANSWER_CTY}`);
  if (expect.jti !== undefined && header['jti'] !== expect.jti) throw invalid('the sealed answer is for another request');
  let answer: unknown;
  try {
    answer = JSON.parse(utf8(plaintext));
  } catch (cause) {
    throw invalid('the sealed answer is not JSON', cause);
  }
  if (!isGatekeeperAnswer(answer)) throw invalid('the sealed answer is not a gatekeeper answer');
  return answer;
}

export interface RecordCheck {
  /** the pointer hash the caller trusts (its own ledger view), or null when it has none */
  ledgerHash: string | null;
  /** hash of the resources received, when complete (nothing projected away) */
  localHash: string | null;
  /** localHash equals ledgerHash; null when either is missing */
  matches: boolean | null;
}

/** Re-hashes a complete answer's resources and compares with the ledger pointer. */
export function checkRecords(answer: GatekeeperAnswer, ledgerHash: string | null): RecordCheck {
  const localHash = answer.projected ? null : hashResources(answer.bundle.entry.map((e) => e.resource));
  return { ledgerHash, localHash, matches: localHash === null || ledgerHash === null ? null : localHash === ledgerHash };
}
