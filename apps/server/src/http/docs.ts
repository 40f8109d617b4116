import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { buildOpenApiDocument } from '@mentor-scheduling/contracts';
import type { FastifyInstance } from 'fastify';
import { withoutUpgradeToHttps } from './protection.js';

/**
 * Serves the published contract at /api/openapi.json and an interactive reference at /docs. The
 * reference's assets ship inside the package, so it works on a machine without internet.
 */
export async function mountDocs(app: FastifyInstance): Promise<void> {
  const document = buildOpenApiDocument();
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => document);
  await app.register(swagger, { mode: 'static', specification: { document: document as never } });
  // staticCSP: the reference page gets a CSP that allows exactly its own bundled assets. Those are
  // same-origin, so it never needs upgrading to https, and over plain HTTP upgrading would blank it.
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { deepLinking: true },
    staticCSP: true,
    transformStaticCSP: withoutUpgradeToHttps,
  });
}
