import t from 'tap';
import {
  parseFieldsJson,
  requireArray,
  requireEndpoint,
  requireIsoDate,
  requireObject,
  requireSeq,
  requireString,
} from '../../src/domain/validation';

const code = (f: () => unknown) => {
  try {
    f();
    return 'ok';
  } catch (e) {
    return (e as Error).message.split(':')[0];
  }
};

t.test('strings and shapes', async (t) => {
  t.equal(code(() => requireString(undefined, 'x')), 'INVALID_ARGUMENT', 'missing');
  t.equal(code(() => requireString(42, 'x')), 'INVALID_ARGUMENT', 'wrong type');
  t.equal(code(() => requireString('abc', 'x', 2)), 'INVALID_ARGUMENT', 'oversized');
  t.equal(code(() => requireObject(null, 'x', [])), 'INVALID_ARGUMENT');
  t.equal(code(() => requireObject([], 'x', [])), 'INVALID_ARGUMENT');
  t.equal(code(() => requireArray([1, 2, 3], 'x', 0, 2)), 'INVALID_ARGUMENT');
  t.equal(code(() => requireArray([1, 2, 3], 'x', 0, 2, 'LIMIT_EXCEEDED')), 'LIMIT_EXCEEDED');
  t.same(parseFieldsJson('["code","note"]', 'Observation'), ['code', 'note']);
  t.same(parseFieldsJson('[]', 'Observation'), []);
});

t.test('dates, sequence numbers and endpoints', async (t) => {
  t.equal(requireIsoDate('2026-03-01T10:00:00Z', 'd'), '2026-03-01T10:00:00.000Z', 'normalised');
  t.equal(requireIsoDate('2026-03-01T10:00:00.5Z', 'd'), '2026-03-01T10:00:00.500Z');
  for (const bad of ['2026-03-01', '2026-03-01T10:00:00+01:00', '2026-13-01T00:00:00Z', '2026-02-29T00:00:00Z', 'tomorrow']) {
    t.equal(code(() => requireIsoDate(bad, 'd')), 'INVALID_ARGUMENT', bad);
  }
  t.equal(requireIsoDate('2028-02-29T00:00:00Z', 'd'), '2028-02-29T00:00:00.000Z', 'a real leap day');
  t.equal(requireSeq('0', 's'), 0);
  t.equal(requireSeq('9007199254740991', 's'), Number.MAX_SAFE_INTEGER);
  t.equal(code(() => requireSeq('9007199254740992', 's')), 'INVALID_ARGUMENT', 'beyond safe integers');
  t.equal(requireEndpoint('http://localhost:8080/gatekeeper/query'), 'http://localhost:8080/gatekeeper/query');
  t.equal(code(() => requireEndpoint('https://h1.example/#frag')), 'INVALID_ARGUMENT');
});
