import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** The app's build (app/dist), next to this workspace's; MEDREC_APP_DIR points elsewhere. */
export const defaultAppDir = () => process.env['MEDREC_APP_DIR'] ?? fileURLToPath(new URL('../../../../../app/dist', import.meta.url));

/**
 * The app loads its own files only; no inline script, no framing. It talks to this gateway and to the
 * consortium's other gateways (a delegate's relationship is acted on at its own hospital's).
 */
const securityHeaders = (connectTo: readonly string[]) => ({
  'content-security-policy': `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src ${["'self'", ...connectTo].join(' ')}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'`,
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
});

/**
 * Serves the MedRec app (app/, built by `npm run build`) under /app/: its files, and index.html for
 * every other path below /app/ so the app's router owns them. Without a build, /app/ says how to make one.
 */
export default async function appStatic(app: FastifyInstance, opts: { root?: string; connectTo?: () => Promise<readonly string[]> } = {}): Promise<void> {
  const root = opts.root ?? defaultAppDir();
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/app/'));
  if (!existsSync(`${root}/index.html`)) {
    app.get('/app/*', { schema: { hide: true } }, async (_request, reply) =>
      reply.code(503).type('text/plain').send('The MedRec app is not built: run `npm run build` at the repository root.\n'),
    );
    return;
  }
  await app.register(async (scope) => {
    scope.addHook('onSend', async (_request, reply) => {
      reply.headers(securityHeaders((await opts.connectTo?.()) ?? []));
    });
    await scope.register(fastifyStatic, { root, prefix: '/app/', wildcard: false, index: ['index.html'], cacheControl: false });
    // A path with a file extension is a missing file (404); any other is one of the app's own pages.
    scope.get('/app/*', { schema: { hide: true } }, async (request, reply) =>
      /\.[A-Za-z0-9]+$/.test(request.url.split('?')[0]!) ? reply.callNotFound() : reply.type('text/html').sendFile('index.html'),
    );
  });
}
