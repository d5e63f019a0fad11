import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { unavailable } from '../../services/problem.js';
import type { EhrStore } from '../../ports/ehr.js';
import type { LedgerPort, OrderingState } from '../../ports/ledger.js';

const PROBE_TIMEOUT_MS = 2000;
// The ordering probe reads the channel configuration and dials every orderer (each bounded by the adapter).
const ORDERING_PROBE_MS = 5000;

async function probe(check: () => Promise<unknown>, ms = PROBE_TIMEOUT_MS): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), ms);
      }),
    ]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

const Ordering = Type.Object({
  consensus: Type.String(),
  total: Type.Integer(),
  reachable: Type.Integer(),
  quorum: Type.Integer(),
});

export interface HealthOptions {
  ledger: LedgerPort;
  ehr: EhrStore;
  /** A read through the chaincode (this hospital's chaincode server answers). */
  chaincode: () => Promise<unknown>;
}

/**
 * /health: the process answers. /ready: it can serve — the peer (ledger height), the chaincode and
 * the EHR answer; it also reports the ordering service as the channel configuration names it. With
 * fewer orderers reachable than a quorum the gateway still serves reads: `read-only`, still 200.
 */
async function health(app: FastifyInstance, options: HealthOptions) {
  const Status = Type.Object({ status: Type.String() });
  app.get('/health', { schema: { tags: ['ops'], response: { 200: Status } } }, async () => ({ status: 'ok' }));
  app.get(
    '/ready',
    {
      schema: {
        tags: ['ops'],
        response: {
          200: Type.Object({
            status: Type.Union([Type.Literal('ready'), Type.Literal('read-only')]),
            ledgerHeight: Type.String(),
            ordering: Type.Optional(Ordering),
          }),
        },
      },
    },
    async () => {
      let height = 0n;
      let ordering: OrderingState | undefined;
      const [peerUp, chaincodeUp, ehrUp] = await Promise.all([
        probe(async () => {
          height = await options.ledger.height();
        }),
        probe(options.chaincode),
        probe(() => options.ehr.ping()),
        options.ledger.ordering
          ? probe(async () => {
              ordering = await options.ledger.ordering!();
            }, ORDERING_PROBE_MS)
          : Promise.resolve(true),
      ]);
      const down = [...(peerUp ? [] : ['ledger']), ...(peerUp && !chaincodeUp ? ['chaincode'] : []), ...(ehrUp ? [] : ['ehr'])];
      if (down.length > 0) throw unavailable('NOT_READY', `not ready: ${down.join(' and ')} unreachable`);
      const writable = !ordering || ordering.reachable >= ordering.quorum;
      return { status: writable ? ('ready' as const) : ('read-only' as const), ledgerHeight: height.toString(), ...(ordering ? { ordering } : {}) };
    },
  );
}

export default fp(health, { name: 'medrec-health', fastify: '5.x' });
