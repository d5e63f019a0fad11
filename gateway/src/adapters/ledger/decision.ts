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

/** Who a signer is to the chaincode, from its certificate's claims as `ctx.clientIdentity` reads them. */
function callerOf(signer: Signer): CertCaller {
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
  if ('refused' in known) throw ChaincodeError.fromMessage(known.refused.message)!;
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
