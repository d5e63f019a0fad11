import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { unavailable } from '../../services/problem.js';
import type { EhrStore } from '../../ports/ehr.js';
import type { LedgerPort } from '../../ports/ledger.js';

const PROBE_TIMEOUT_MS = 2000;

async function probe(check: () => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), PROBE_TIMEOUT_MS);
      }),
    ]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** /health: the process answers. /ready: it can serve, i.e. both the ledger and the EHR answer. */
async function health(app: FastifyInstance, options: { ledger: LedgerPort; ehr: EhrStore }) {
  const Status = Type.Object({ status: Type.String() });
  app.get('/health', { schema: { tags: ['ops'], response: { 200: Status } } }, async () => ({ status: 'ok' }));
  app.get(
    '/ready',
    {
      schema: {
        tags: ['ops'],
        response: { 200: Type.Object({ status: Type.String(), ledgerHeight: Type.String() }) },
      },
    },
    async () => {
      let height = 0n;
      const [ledgerUp, ehrUp] = await Promise.all([
        probe(async () => {
          height = await options.ledger.height();
        }),
        probe(() => options.ehr.ping()),
      ]);
      const down = [...(ledgerUp ? [] : ['ledger']), ...(ehrUp ? [] : ['ehr'])];
      if (down.length > 0) throw unavailable('NOT_READY', `not ready: ${down.join(' and ')} unreachable`);
      return { status: 'ready', ledgerHeight: height.toString() };
    },
  );
}

export default fp(health, { name: 'medrec-health', fastify: '5.x' });
