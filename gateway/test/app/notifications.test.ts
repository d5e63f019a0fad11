import Database from 'better-sqlite3';
import t from 'tap';
import { notificationsOf } from '../../src/services/notifications/feed.js';
import { readSse, type SseEvent } from '../../demo/sse-client.js';
import { resumeBlock, sseMessage } from '../../src/http/sse.js';
import { NotificationStore } from '../../src/services/notifications/store.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const R = 'c'.repeat(64);
const event = (payload: unknown, blockNumber = 5n) => ({
  blockNumber,
  txId: `tx${blockNumber}`,
  eventName: 'RelationshipAccepted',
  payload: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
});

t.test('an event yields the notifications of local participants only, with nothing but ids and codes', async (t) => {
  const payload = {
    notifications: [
      { participantId: A, relationshipId: R, status: 'accepted', extra: 'dropped' },
      { participantId: B, relationshipId: R, status: 'accepted' },
      { participantId: 42 },
    ],
  };
  t.same(notificationsOf(event(payload), (pid) => pid === A), [{ participantId: A, relationshipId: R, status: 'accepted' }]);
  t.same(notificationsOf(event('not json'), () => true), [], 'a malformed payload is skipped');
  t.same(notificationsOf(event({}), () => true), [], 'a payload without notifications yields none');
});

t.test('the store prepares its statements once, not for every event it records or reads', async (t) => {
  const db = new Database(':memory:');
  const store = new NotificationStore(db);
  const prepare = db.prepare.bind(db);
  const prepared: string[] = [];
  db.prepare = ((sql: string) => {
    prepared.push(sql);
    return prepare(sql);
  }) as typeof db.prepare;
  for (let block = 1n; block <= 20n; block++) {
    store.record(block, `tx${block}`, 'GrantCreated', [{ participantId: A, relationshipId: R, status: 'granted' }, { participantId: B }]);
  }
  t.equal(store.list(A, 0n, 100).length, 20, 'every event recorded');
  t.equal(store.checkpoint(), 20n);
  t.same(prepared, [], 'no statement prepared after the store was opened');
});

t.test('the store records atomically, deduplicates a re-read event and moves the checkpoint', async (t) => {
  const store = new NotificationStore(new Database(':memory:'));
  t.equal(store.checkpoint(), 0n);
  const rows = store.record(5n, 'tx5', 'RelationshipAccepted', [{ participantId: A, relationshipId: R, status: 'accepted' }]);
  t.equal(rows.length, 1);
  t.equal(store.checkpoint(), 5n);
  t.same(store.record(5n, 'tx5', 'RelationshipAccepted', [{ participantId: A, relationshipId: R, status: 'accepted' }]), [], 're-read after a restart: no duplicate');
  store.record(7n, 'tx7', 'GrantCreated', [{ participantId: A, relationshipId: R, status: 'granted' }]);
  store.record(8n, 'tx8', 'GrantCreated', []);
  t.equal(store.checkpoint(), 8n, 'an event for nobody here still moves the checkpoint');
  t.same(store.list(A, 0n, 10).map((n) => n.blockNumber), ['5', '7']);
  t.same(store.list(A, 5n, 10).map((n) => n.blockNumber), ['7'], 'after is exclusive');
  t.same(store.list(A, 0n, 1).length, 1, 'limit');
  t.same(store.list(B, 0n, 10), [], 'only their own');
});

t.test('server-sent events: id is the block, Last-Event-ID is parsed strictly, the reader parses what is written', async (t) => {
  const message = sseMessage({ seq: 1, blockNumber: '12', txId: 'tx', event: 'GrantCreated', participantId: A, relationshipId: R, status: 'granted' });
  t.match(message, /^id: 12\nevent: GrantCreated\ndata: \{.*\}\n\n$/);
  t.notOk(message.includes(A), 'the participant id is not repeated to its owner');
  t.equal(resumeBlock('12'), 12n);
  for (const bad of [undefined, '', '-1', '1 OR 1=1', '01', 'x'.repeat(40)]) t.equal(resumeBlock(bad), 0n);
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode(`: comment\nretry: 2000\n\n${message.slice(0, 10)}`));
      c.enqueue(new TextEncoder().encode(`${message.slice(10)}data: plain\n\n`));
      c.close();
    },
  });
  const seen: SseEvent[] = [];
  await readSse(body, (e) => {
    seen.push(e);
    return false;
  });
  t.equal(seen.length, 2);
  t.match(seen[0], { id: '12', event: 'GrantCreated' });
  t.match(JSON.parse(seen[0]!.data), { relationshipId: R, status: 'granted', blockNumber: '12' });
  t.match(seen[1], { event: 'message', data: 'plain' });
});
