import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** The OpenAPI 3 document is generated from the routes' TypeBox schemas; the UI is at /docs. */
async function openapi(app: FastifyInstance, options: { mspId: string; name: string; publicUrl: string }) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: `MedRec gateway — ${options.name} (${options.mspId})`,
        version: '0.1.0',
        description:
          'Patient-controlled access to medical records. Log in at POST /auth/login, then send ' +
          '`Authorization: Bearer <token>`. Every error is RFC 9457 application/problem+json with a stable `code`.',
      },
      servers: [{ url: options.publicUrl }],
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}

export default fp(openapi, { name: 'medrec-openapi', fastify: '5.x' });
