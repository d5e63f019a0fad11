import t from 'tap';
import { UnknownCategoryError } from '../../src/services/records/categories.js';
import { Problem } from '../../src/services/problem.js';
import { toProblem } from '../../src/http/plugins/errors.js';
import { EhrUnavailableError } from '../../src/ports/ehr.js';
import { IdentityError } from '../../src/ports/identity.js';
import { ChaincodeError, LedgerUnavailableError } from '../../src/ports/ledger.js';

t.test('every failure maps to a problem with a stable code and status', async (t) => {
  const cases: [unknown, number, string][] = [
    [new ChaincodeError('INVALID_ARGUMENT', 'x'), 400, 'INVALID_ARGUMENT'],
    [new ChaincodeError('FORBIDDEN', 'x'), 403, 'FORBIDDEN'],
    [new ChaincodeError('NOT_FOUND', 'x'), 404, 'NOT_FOUND'],
    [new ChaincodeError('CONFLICT', 'x'), 409, 'CONFLICT'],
    [new ChaincodeError('EXPIRED', 'x'), 410, 'EXPIRED'],
    [new ChaincodeError('LIMIT_EXCEEDED', 'x'), 422, 'LIMIT_EXCEEDED'],
    [new LedgerUnavailableError('peer down'), 503, 'LEDGER_UNAVAILABLE'],
    [new EhrUnavailableError('db down'), 503, 'EHR_UNAVAILABLE'],
    [new IdentityError('UNAVAILABLE', 'ca down'), 503, 'IDENTITY_UNAVAILABLE'],
    [new IdentityError('CONFLICT', 'taken'), 409, 'IDENTITY_CONFLICT'],
    [new UnknownCategoryError('Foo'), 404, 'CATEGORY_NOT_AVAILABLE'],
    [Object.assign(new Error('too big'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }), 413, 'BODY_TOO_LARGE'],
    [Object.assign(new Error('bad'), { validation: [{ instancePath: '/x', message: 'nope' }], validationContext: 'body' }), 400, 'VALIDATION_FAILED'],
    [new Problem(418, 'TEAPOT', 'x'), 418, 'TEAPOT'],
    [new Error('boom: secret detail'), 500, 'INTERNAL'],
  ];
  for (const [err, status, code] of cases) {
    const p = toProblem(err);
    t.equal(p.status, status, code);
    t.equal(p.code, code);
  }
  t.equal(toProblem(new Error('boom: secret detail')).message, 'internal error', 'internal details are not leaked');
  t.equal(toProblem(new LedgerUnavailableError('peer at 10.0.0.1 down')).message.includes('10.0.0.1'), false);
});
