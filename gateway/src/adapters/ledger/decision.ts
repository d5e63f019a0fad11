/**
 * Relationship.checkAccess outside the chaincode, for both ledger adapters: the chaincode domain's
 * own decision (`decideAccess`) on a copy of the committed state, as a signer. Its refusals become
 * the port's errors exactly as an evaluated transaction's do, so callers cannot tell the two apart.
 */
import { LRUCache } from 'lru-cache';
import { certCaller, decideAccess, MedrecError, type AccessQuestion, type CertCaller, type Decision, type StateReader } from '@medrec/chaincode/domain';
import { certificateClaims } from '../../pki/certificate.js';
import { ChaincodeError, type Signer } from '../../ports/ledger.js';

const callers = new LRUCache<string, CertCaller | { refused: MedrecError }>({ max: 1_024 });

/**
 * The last answer per signer object: the gatekeeper asks every decision as the same records-service
 * signer, and its ~1 kB certificate text need not be joined and hashed again for each. Used only while
 * the signer still holds the same MSP and certificate text.
 */
const lastCaller = new WeakMap<Signer, { mspId: string; certificate: string; known: CertCaller | { refused: MedrecError } }>();

/** Who a signer is to the chaincode, from its certificate's claims as `ctx.clientIdentity` reads them. */
function callerOf(signer: Signer): CertCaller {
  const last = lastCaller.get(signer);
  const known = last && last.mspId === signer.mspId && last.certificate === signer.certificate ? last.known : claimsOf(signer);
  if (!last || last.known !== known) lastCaller.set(signer, { mspId: signer.mspId, certificate: signer.certificate, known });
  if ('refused' in known) throw ChaincodeError.fromMessage(known.refused.message)!;
  return known;
}

function claimsOf(signer: Signer): CertCaller | { refused: MedrecError } {
  const key = `${signer.mspId}\n${signer.certificate}`;
  let known = callers.get(key);
  if (!known) {
    try {
      known = certCaller({ mspId: signer.mspId, ...certificateClaims(signer.certificate) });
    } catch (error) {
      if (!(error instanceof MedrecError)) throw error;
      known = { refused: error };
    }
    callers.set(key, known);
  }
  return known;
}

/** The decision as `signer` at time `at`; a refusal is the ChaincodeError evaluating would give. */
export async function decideAs(state: StateReader, signer: Signer, question: AccessQuestion, at: Date): Promise<Decision> {
  const caller = callerOf(signer);
  try {
    return await decideAccess(state, caller, question, at.toISOString());
  } catch (error) {
    if (error instanceof MedrecError) throw ChaincodeError.fromMessage(error.message)!;
    throw error;
  }
}
