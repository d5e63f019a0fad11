/**
 * Answers sealed to the device: the gatekeeper encrypts its answer to the requester's certificate key
 * as a compact JWE (alg ECDH-ES, enc A256GCM), so the home gateway that relays it, and any proxy, see
 * ciphertext only. The device opens it and re-hashes the records itself.
 */
import { compactDecrypt, errors as joseErrors } from 'jose';
import { utf8 } from '../bytes.js';
import { WalletError } from '../errors.js';
import type { DeviceKey } from '../keys/device-key.js';
import { isGatekeeperAnswer, type GatekeeperAnswer } from './answer.js';
import { SEALED_ANSWER_CTY, SEALED_INCLUSIONS_CTY } from './wire.js';

export { SEALED_ANSWER_CTY, SEALED_INCLUSIONS_CTY } from './wire.js';

const invalid = (message: string, cause?: unknown) =>
  new WalletError('SEALED_ANSWER_INVALID', message, cause === undefined ? undefined : { cause });

/**
 * Opens a sealed answer with the device key: its content type must be `cty`. With `jti`, the JWE's
 * protected header must name that request, so an answer to an older request cannot be passed off as
 * the answer to this one.
 */
async function openSealed(jwe: string, key: DeviceKey, cty: string, expect: { jti?: string }): Promise<unknown> {
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
  if (header['cty'] !== cty) throw invalid(`the sealed content is not a ${cty}`);
  if (expect.jti !== undefined && header['jti'] !== expect.jti) throw invalid('the sealed answer is for another request');
  try {
    return JSON.parse(utf8(plaintext));
  } catch (cause) {
    throw invalid('the sealed answer is not JSON', cause);
  }
}

/** Opens a sealed gatekeeper answer (records of one category). */
export async function openSealedAnswer(jwe: string, key: DeviceKey, expect: { jti?: string } = {}): Promise<GatekeeperAnswer> {
  const answer = await openSealed(jwe, key, SEALED_ANSWER_CTY, expect);
  if (!isGatekeeperAnswer(answer)) throw invalid('the sealed answer is not a gatekeeper answer');
  return answer;
}

/** A released research answer that included the patient: which query, when (never the answer). */
export interface Inclusion {
  queryId: string;
  kind: string;
  releasedAt: string;
}

const isInclusion = (i: unknown): i is Inclusion =>
  typeof i === 'object' && i !== null && ['queryId', 'kind', 'releasedAt'].every((k) => typeof (i as Record<string, unknown>)[k] === 'string');

/** Opens a gatekeeper's sealed list of the research answers that included the patient. */
export async function openSealedInclusions(jwe: string, key: DeviceKey, expect: { jti?: string } = {}): Promise<Inclusion[]> {
  const body = (await openSealed(jwe, key, SEALED_INCLUSIONS_CTY, expect)) as { inclusions?: unknown } | null;
  const inclusions = body?.inclusions;
  if (!Array.isArray(inclusions) || !inclusions.every(isInclusion)) throw invalid('the sealed answer is not a list of inclusions');
  return inclusions;
}
