import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { resumeBlock, sseMessage } from '../sse.js';
import type { NotificationFeed } from '../../services/notifications/feed.js';
import type { Notification, NotificationStore } from '../../services/notifications/store.js';
import { SECURED, problems } from '../schemas.js';

const HEARTBEAT_MS = 15_000;
const REPLAY_LIMIT = 1000;

export const notificationRoutes: FastifyPluginAsyncTypebox<{ feed: NotificationFeed; notifications: NotificationStore }> = async (
  app,
  { feed, notifications },
) => {
  // Open streams never go idle, so closing the app ends them itself.
  const open = new Set<{ end(): void }>();
  app.addHook('preClose', async () => {
    for (const res of open) res.end();
  });

  app.get(
    '/notifications/stream',
    {
      onRequest: app.requireRole(),
      schema: {
        tags: ['me'],
        summary: 'Live notifications (server-sent events), fed by chaincode events for your participant id',
        description:
          'Each event has `id` = block number. Reconnect with the `Last-Event-ID` header to receive what ' +
          'you missed. The stream ends when the session does (logout, expiry, password change, revoked certificate).',
        security: SECURED,
        headers: Type.Object({
          'last-event-id': Type.Optional(Type.String({ maxLength: 32 })),
        }),
        response: {
          200: {
            description: 'text/event-stream',
            content: { 'text/event-stream': { schema: Type.String() } },
          },
          ...problems(400, 401),
        },
      },
    },
    async (request, reply) => {
      const pid = request.user.participantId;
      const from = resumeBlock(request.headers['last-event-id']);
      reply.hijack();
      const res = reply.raw;
      // Headers the hooks set (CORS for the app at another member's origin) go out with the stream.
      for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) res.setHeader(name, value);
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      // Subscribe before replaying so nothing committed in between is lost; seq removes duplicates.
      let lastSeq = 0;
      const pending: Notification[] = [];
      let replaying = true;
      const send = (n: Notification) => {
        if (n.seq <= lastSeq) return;
        lastSeq = n.seq;
        res.write(sseMessage(n));
      };
      const unsubscribe = feed.subscribe(pid, (n) => (replaying ? pending.push(n) : send(n)));
      res.write(': medrec notifications\nretry: 2000\n\n');
      for (const n of notifications.list(pid, from, REPLAY_LIMIT)) send(n);
      replaying = false;
      for (const n of pending) send(n);

      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
      open.add(res);
      // The stream lives exactly as long as its session: logout, expiry, a password change or a
      // revoked certificate end it.
      const stopWatching = app.sessionKeys.onEnd(request.user.jti, () => res.end());
      res.on('close', () => {
        open.delete(res);
        clearInterval(heartbeat);
        stopWatching();
        unsubscribe();
      });
    },
  );
};
