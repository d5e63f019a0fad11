/**
 * What fabric-gateway throws, as the port's errors: a hospital whose chaincode server is down (its
 * peers cannot dial it) is unavailable — a 503 over HTTP, never a 500 — while the chaincode's own
 * refusal stays the chaincode's.
 */
import { GatewayError } from '@hyperledger/fabric-gateway';
import type { ServiceError } from '@grpc/grpc-js';
import t from 'tap';
import { toPortError } from '../../src/adapters/ledger/fabric/errors.js';
import { ChaincodeError, LedgerTimeoutError, LedgerUnavailableError } from '../../src/ports/ledger.js';

const ABORTED = 10;
function gatewayError(message: string, details: string[], code = ABORTED): GatewayError {
  return new GatewayError({
    code,
    message,
    details: details.map((m, i) => ({ address: `peer${i}.hospital2.medrec.test:36200`, mspId: 'Hospital2MSP', message: m })),
    cause: new Error(message) as ServiceError,
  });
}

t.test("the hospital's chaincode server down: unavailable", async (t) => {
  const refused =
    'error in simulation: failed to execute transaction d5ae: could not launch chaincode medrec_1_hospital2:10b7: connection to medrec_1_hospital2 failed: ' +
    'error creating grpc connection to chaincode.hospital2.medrec.test:36211: connection error: desc = "transport: error while dialing: dial tcp 10.77.1.2:36211: connect: connection refused"';
  const error = toPortError(gatewayError('10 ABORTED: failed to collect enough transaction endorsements, see attached details for more info', [refused, refused]));
  t.type(error, LedgerUnavailableError);
  t.match(error.message, /no endorsement could be had/);
});

t.test("the chaincode's own refusal among the details stays a ChaincodeError", async (t) => {
  const error = toPortError(
    gatewayError('10 ABORTED: failed to collect enough transaction endorsements, see attached details for more info', [
      'chaincode response 500, CONFLICT: relationship already exists',
    ]),
  );
  t.type(error, ChaincodeError);
});

t.test('an endorsement failure of no known kind is not mistaken for unavailability', async (t) => {
  const error = toPortError(gatewayError('10 ABORTED: something else entirely', ['a message of no known kind']));
  t.notOk(error instanceof LedgerUnavailableError);
});

t.test('a deadline exceeded (an endorsement longer than its deadline) is a timeout, still unavailable', async (t) => {
  const error = toPortError(gatewayError('4 DEADLINE_EXCEEDED: Deadline exceeded', [], 4));
  t.type(error, LedgerTimeoutError, 'a caller may ask again with less');
  t.type(error, LedgerUnavailableError, 'and every caller that handles unavailability handles it');
  t.notOk(toPortError(gatewayError('14 UNAVAILABLE: connection refused', [], 14)) instanceof LedgerTimeoutError, 'a refused connection is not a timeout');
});
