/**
 * medrec_ledger_resends_total{reason} and the resend's log line (metrics plugin): counted per reason
 * from the ledger's resend listener, one warn line each with the transaction id, peer and reason
 * only; both series at 0 on a ledger that never resends; unsubscribed when the app closes.
 */
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import t from 'tap';
import metrics from '../../src/http/plugins/metrics.js';
import type { LedgerResendListener } from '../../src/ports/ledger.js';

const series = (text: string, reason: string) => Number(new RegExp(`^medrec_ledger_resends_total\\{reason="${reason}",hospital="H1MSP"\\} (\\d+)$`, 'm').exec(text)?.[1]);

t.test('resends counted by reason, each logged once without content', async (t) => {
  const listeners = new Set<LedgerResendListener>();
  const ledger = {
    onResend: (listener: LedgerResendListener) => {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const app = Fastify({ logger: { level: 'info', stream } });
  await app.register(metrics, { mspId: 'H1MSP', ledger });
  await app.ready();
  t.equal(listeners.size, 1, 'subscribed');

  const before = (await app.inject('/metrics')).body;
  t.same([series(before, 'refused'), series(before, 'late_status')], [0, 0], 'both series from the start');
  for (const l of listeners) {
    l({ txId: 'aa11', peer: 'peer0.h1:7051', reason: 'refused' });
    l({ txId: 'aa11', peer: 'peer1.h1:7051', reason: 'late_status' });
    l({ txId: 'bb22', peer: 'peer1.h1:7051', reason: 'late_status' });
  }
  const after = (await app.inject('/metrics')).body;
  t.same([series(after, 'refused'), series(after, 'late_status')], [1, 2]);

  const logged = lines.filter((l) => l['msg'] === 'ledger transaction resent');
  t.equal(logged.length, 3, 'one line per resend');
  t.match(logged[0], { level: 40, txId: 'aa11', peer: 'peer0.h1:7051', reason: 'refused' });
  const fields = new Set(logged.flatMap((l) => Object.keys(l)));
  for (const f of ['txId', 'peer', 'reason']) fields.delete(f);
  t.same([...fields].filter((f) => !['level', 'time', 'pid', 'hostname', 'msg'].includes(f)), [], 'nothing else in the line');

  await app.close();
  t.equal(listeners.size, 0, 'unsubscribed on close');
});

t.test('a ledger that never resends (no onResend): the series exist at 0', async (t) => {
  const app = Fastify();
  await app.register(metrics, { mspId: 'H1MSP', ledger: {} });
  const text = (await app.inject('/metrics')).body;
  t.same([series(text, 'refused'), series(text, 'late_status')], [0, 0]);
  await app.close();
});
