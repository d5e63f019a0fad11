import { CommitError, GatewayError } from '@hyperledger/fabric-gateway';
import {
  AccessDeniedError,
  ChaincodeError,
  LedgerTimeoutError,
  LedgerUnavailableError,
  TransactionInvalidError,
} from '../../../ports/ledger.js';
import { validationCodeName } from './blocks.js';

// gRPC status codes that mean "no answer could be had", as opposed to "the answer is no".
const UNAVAILABLE_CODES = new Set([1 /* CANCELLED */, 4 /* DEADLINE_EXCEEDED */, 14 /* UNAVAILABLE */]);
const DEADLINE_EXCEEDED = 4;
const ACCESS_DENIED = /access denied|creator certificate is not valid|signature.*(invalid|not valid)|is not valid: could not validate identity/i;

function messagesOf(error: GatewayError): string[] {
  return [...error.details.map((detail) => detail.message), error.message];
}

/**
 * Maps what @hyperledger/fabric-gateway throws to the ledger port's errors. The chaincode's own
 * `CODE: text` travels in the error details (one per peer), not in the top-level message.
 */
export function toPortError(error: unknown): Error {
  if (error instanceof CommitError) {
    return new TransactionInvalidError(error.transactionId, validationCodeName(error.code));
  }
  if (error instanceof GatewayError) {
    for (const message of messagesOf(error)) {
      const chaincodeError = ChaincodeError.fromMessage(message);
      if (chaincodeError) return chaincodeError;
    }
    if (error.code === DEADLINE_EXCEEDED) {
      return new LedgerTimeoutError(`the Fabric network did not answer in time: ${error.message}`, { cause: error });
    }
    if (UNAVAILABLE_CODES.has(error.code)) {
      return new LedgerUnavailableError(`the Fabric network is unavailable: ${error.message}`, { cause: error });
    }
    const denied = messagesOf(error).find((message) => ACCESS_DENIED.test(message));
    if (denied) return new AccessDeniedError(denied);
    const detail = error.details.map((d) => `${d.mspId}@${d.address}: ${d.message}`).join('; ');
    // No peer could endorse (none of the requested organisations reachable, or their chaincode
    // server down: the peer cannot launch or dial it): fail closed, a 503, never a server fault.
    if (/no (peers|combination of peers) available|failed to (collect|select)( enough transaction)? endorse|could not launch chaincode|error creating grpc connection/i.test(detail + error.message)) {
      return new LedgerUnavailableError(`no endorsement could be had: ${detail || error.message}`, { cause: error });
    }
    return new Error(`Fabric refused the request: ${error.message}${detail ? ` (${detail})` : ''}`, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}
