import type { Decision, LedgerCalls, LedgerPort, Signer } from '../ports/ledger.js';
import type { EvaluateRequest, SubmitRequest } from './request.js';

export interface Submitted<T> {
  value: T;
  txId: string;
  /** decimal, as the REST API reports it */
  blockNumber: string;
}

/**
 * Runs typed chaincode requests on a ledger as a given signer: submit (endorse, order, commit) or
 * evaluate (a query on committed state). Errors are the ledger port's own (ChaincodeError, …).
 */
export class MedrecClient<L extends LedgerCalls = LedgerPort> {
  constructor(readonly ledger: L) {}

  async submit<T>(signer: Signer, req: SubmitRequest<T>): Promise<Submitted<T>> {
    const result = await this.ledger.submit(signer, req.contract, req.transaction, [...req.args], {
      ...(req.endorsingOrganizations ? { endorsingOrganizations: [...req.endorsingOrganizations] } : {}),
    });
    return { value: req.decode(result.result), txId: result.txId, blockNumber: result.blockNumber.toString() };
  }

  async evaluate<T>(signer: Signer, req: EvaluateRequest<T>): Promise<T> {
    return req.decode(await this.ledger.evaluate(signer, req.contract, req.transaction, [...req.args]));
  }

  /**
   * A Relationship.checkAccess request, decided by the ledger port's checkAccess: the same Decision
   * as `evaluate` gives, which the ledger may answer from its committed state in-process.
   */
  async checkAccess(signer: Signer, req: EvaluateRequest<Decision>): Promise<Decision> {
    if (req.name !== 'Relationship.checkAccess') throw new TypeError(`${req.name} is not Relationship.checkAccess`);
    const [relationshipId, requesterIdentityId, category, fieldsJson] = req.args as [string, string, string, string];
    return this.ledger.checkAccess(signer, { relationshipId, requesterIdentityId, category, fieldsJson });
  }
}
