/** A gatekeeper's Retry-After, read in both of RFC 9110's forms, so a 429 from another home can say when to ask again. */
import t from 'tap';
import { retryAfterSeconds } from '../../src/services/gatekeeper/requester.js';

const now = Date.parse('2026-11-30T08:00:00Z');

t.test('delay-seconds and HTTP-date; anything else unreadable', async (t) => {
  t.equal(retryAfterSeconds('42', now), 42);
  t.equal(retryAfterSeconds(' 0 ', now), 0);
  t.equal(retryAfterSeconds('Mon, 30 Nov 2026 08:01:30 GMT', now), 90, 'a date: the seconds until then');
  t.equal(retryAfterSeconds('Mon, 30 Nov 2026 07:59:00 GMT', now), 0, 'a date already past: now');
  t.equal(retryAfterSeconds(null, now), undefined);
  t.equal(retryAfterSeconds('-5', now), undefined, 'not delay-seconds, not a date');
  t.equal(retryAfterSeconds('soon', now), undefined);
});
