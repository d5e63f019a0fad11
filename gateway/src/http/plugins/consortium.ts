/**
 * The consortium's gateways as the ledger names them (each hospital publishes its gatekeeper's
 * endpoint: Research.gatekeepers), and CORS for exactly those origins. The patient's app is served
 * by her home gateway, but a delegate's relationship is acted on at its own hospital's gateway
 * (docs/privacy.md §3): relayed through her home, the home would see her delegates and link them.
 * So the app calls the other gateways from the page, which they allow for the consortium's origins
 * only and without credentials: the API authenticates with a bearer token, never a cookie.
 */
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface ConsortiumGateway {
  mspId: string;
  /** the gateway's origin (scheme, host, port) */
  origin: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every member's gateway, from the ledger; a short-lived cache, refreshed on an origin it does not know. */
    consortium(): Promise<ConsortiumGateway[]>;
  }
}

/** How long a directory read is trusted, and how soon an unknown origin may trigger another read. */
const FRESH_MS = 60_000;
const RETRY_MS = 5_000;

export interface ConsortiumOptions {
  /** The ledger's directory (Research.gatekeepers), read as this hospital's records service. */
  read(): Promise<{ mspId: string; endpoint: string }[]>;
}

async function consortium(app: FastifyInstance, opts: ConsortiumOptions): Promise<void> {
  let known: ConsortiumGateway[] = [];
  let readAt = 0;
  let pending: Promise<ConsortiumGateway[]> | undefined;
  const refresh = () =>
    (pending ??= opts
      .read()
      .then((entries) => {
        known = entries.map(({ mspId, endpoint }) => ({ mspId, origin: new URL(endpoint).origin }));
        return known;
      })
      .catch((err: unknown) => {
        app.log.warn({ err }, 'the consortium directory could not be read; keeping the last one');
        return known;
      })
      .finally(() => {
        readAt = Date.now();
        pending = undefined;
      }));
  const list = async (): Promise<ConsortiumGateway[]> => (Date.now() - readAt > FRESH_MS ? refresh() : known);
  const allows = async (origin: string): Promise<boolean> => {
    if ((await list()).some((g) => g.origin === origin)) return true;
    return Date.now() - readAt > RETRY_MS && (await refresh()).some((g) => g.origin === origin);
  };
  app.decorate('consortium', list);
  await app.register(cors, {
    // An absent Origin (same-origin GET, a server) needs no CORS answer; a foreign one gets none.
    origin: async (origin: string | undefined) => (origin ? allows(origin) : false),
    credentials: false,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'accept', 'last-event-id', 'idempotency-key'],
    maxAge: 600,
  });
}

export default fp(consortium, { name: 'medrec-consortium', fastify: '5.x' });
