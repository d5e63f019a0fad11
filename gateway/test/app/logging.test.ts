import { Writable } from 'node:stream';
import Fastify from 'fastify';
import t from 'tap';
import { loggerOptions } from '../../src/http/plugins/logging.js';

t.test('logs carry no credentials, keys, external ids, bodies or query strings', async (t) => {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const app = Fastify({ logger: { ...(loggerOptions('info', 'Hospital1MSP') as object), stream } });
  app.post('/x', async (request) => {
    request.log.info({ user: { password: 'pw-SECRET-1', privateKey: 'KEY-SECRET-2', externalId: 'NID-SECRET-3', mrn: 'MRN-SECRET-4' } }, 'handled');
    return { ok: true };
  });
  await app.inject({
    method: 'POST',
    url: '/x?q=QUERY-SECRET-5',
    headers: { authorization: 'Bearer TOKEN-SECRET-6', cookie: 'sid=COOKIE-SECRET-7', 'last-event-id': '42' },
    payload: { password: 'BODY-SECRET-8', note: 'diabetes' },
  });
  await app.close();
  const all = lines.join('');
  t.ok(lines.length >= 3, 'request, handler and response lines were logged');
  t.match(all, /"hospital":"Hospital1MSP"/);
  t.match(all, /"path":"\/x"/);
  for (const secret of ['SECRET-1', 'SECRET-2', 'SECRET-3', 'SECRET-4', 'SECRET-5', 'SECRET-6', 'SECRET-7', 'SECRET-8', 'diabetes']) {
    t.notOk(all.includes(secret), `${secret} is not in the log`);
  }
});
