import type { FastifyServerOptions } from 'fastify';

/**
 * Logger options: pino with redaction of anything that authenticates or identifies a person.
 * Request bodies are never logged (Fastify does not log them, and no route does).
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["last-event-id"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.privateKey',
  '*.secret',
  '*.token',
  '*.externalId',
  '*.mrn',
  '*.sealedKey',
];

export function loggerOptions(level: string, mspId: string): FastifyServerOptions['logger'] {
  return {
    level,
    base: { hospital: mspId },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      // The query string can carry search terms: log the path only.
      req: (req: { method: string; url: string; id: string }) => ({
        id: req.id,
        method: req.method,
        path: req.url.split('?')[0],
      }),
    },
  };
}
