import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import { type FastifyTRPCPluginOptions, fastifyTRPCPlugin } from '@trpc/server/adapters/fastify';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Config } from './config.js';
import { type Database, openDatabase } from './db/connection.js';
import {
  DEMO_ADMIN_EMAIL,
  DEMO_PASSWORD,
  demoMentorEmail,
  demoMentors,
  demoStudents,
  seedDemoCatalogue,
} from './db/demo-catalogue.js';
import { migrateToLatest } from './db/migrate.js';
import { operatorTokenCheck } from './http/actor.js';
import { mountDocs } from './http/docs.js';
import { type ProblemParts, problemOf, problemPartsOf } from './http/problem.js';
import { mountProtection } from './http/protection.js';
import { methodsAllowedAt, mountRestOperations } from './http/rest.js';
import { type AppRouter, appRouter, type TrpcContext, trpcErrorOf } from './http/trpc.js';
import { AnswerCache } from './services/answer-cache.js';
import { AppError } from './services/errors.js';
import { actorOf, type ServiceContext } from './services/index.js';
import { hashPassword } from './services/passwords.js';

export interface AppOptions {
  /** The clock every rule reads ("now"); tests pin it. */
  now?: () => number;
  /** Where logs go (default stdout); tests read them to check nothing secret is logged. */
  logStream?: NodeJS.WritableStream;
}

declare module 'fastify' {
  interface FastifyInstance {
    db: Database;
  }
}

/** Fastify's own refusals (body parsing, limits) in the API's error codes. */
function problemPartsOfFastify(error: FastifyError): ProblemParts | null {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: 'payload_too_large', detail: 'The request body is larger than the server accepts' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { code: 'unsupported_media_type', detail: 'Send the body as application/json' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { code: 'malformed_json', detail: 'The body is empty but declared as JSON' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { code: 'malformed_json', detail: 'The request body is not valid JSON' };
  }
  if (error instanceof SyntaxError || error.name === 'SyntaxError') {
    return { code: 'malformed_json', detail: 'The request body is not valid JSON' };
  }
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return { code: 'invalid_request', detail: error.message };
  }
  return null;
}

/** The application, ready to listen or to be called through `inject()`: what every test starts. */
export async function buildApp(config: Config, options: AppOptions = {}): Promise<FastifyInstance> {
  const now = options.now ?? Date.now;
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: ['req.headers.authorization', 'req.headers.cookie'],
      ...(options.logStream ? { stream: options.logStream } : {}),
    },
    bodyLimit: config.bodyLimitBytes,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    routerOptions: { ignoreTrailingSlash: true },
    trustProxy: config.trustProxy,
  });

  // Bodies are JSON or nothing: without this, Fastify would hand text/plain to the routes as a string.
  app.removeContentTypeParser('text/plain');

  const db = openDatabase(config.database);
  app.decorate('db', db);
  app.addHook('onClose', async () => db.close());
  try {
    const applied = await migrateToLatest(db.knex);
    if (applied.length > 0) app.log.info({ migrations: applied }, 'database migrated');
    const demoHash = () => hashPassword(DEMO_PASSWORD, config.auth.scryptLog2N);
    if (config.seedDemo && (await seedDemoCatalogue(db.knex, config.defaultTimezone, demoHash, now()))) {
      app.log.info('demo catalogue loaded into the empty database');
      if (config.env === 'development') {
        app.log.info(
          {
            password: DEMO_PASSWORD,
            admin: DEMO_ADMIN_EMAIL,
            students: demoStudents.map((student) => student.email),
            mentors: `${demoMentorEmail(demoMentors[0]?.name ?? '')} … (first.last@mentors.example.com)`,
          },
          'demo accounts (log in with POST /api/auth/login)',
        );
      }
    }
  } catch (error) {
    await db.close();
    throw error;
  }

  await mountProtection(app, config);
  if (config.corsOrigins === '*' || config.corsOrigins.length > 0) {
    await app.register(cors, { origin: config.corsOrigins === '*' ? true : config.corsOrigins });
  }

  // While shutting down, answers close their connection: server.close() waits for idle keep-alive
  // connections only, so a busy one would otherwise keep the process alive past the drain.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (closing) reply.header('connection', 'close');
  });

  const isOperatorToken = operatorTokenCheck(config);
  const answers = new AnswerCache();
  const servicesOf = async (request: FastifyRequest): Promise<ServiceContext> => ({
    db,
    config,
    now,
    answers,
    log: request.log,
    actor: await actorOf(db, config, request.headers.authorization, now(), isOperatorToken),
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const parts = problemPartsOfFastify(error) ?? problemPartsOf(error);
    if (parts.code === 'internal_error') request.log.error({ err: error }, 'unhandled error');
    const problem = problemOf(parts, request.url, request.id);
    for (const [name, value] of Object.entries(parts.headers ?? {})) reply.header(name, value);
    return reply.code(problem.status).type('application/problem+json').send(problem);
  });

  app.setNotFoundHandler((request, reply) => {
    const allowed = methodsAllowedAt(request.url);
    const parts: ProblemParts =
      allowed.length > 0
        ? {
            code: 'method_not_allowed',
            detail: `${request.method} is not allowed here; use ${allowed.join(', ')}`,
          }
        : { code: 'route_not_found', detail: `No route ${request.method} ${request.url.split('?')[0]}` };
    if (allowed.length > 0) reply.header('allow', allowed.join(', '));
    const problem = problemOf(parts, request.url, request.id);
    return reply.code(problem.status).type('application/problem+json').send(problem);
  });

  mountRestOperations(app, servicesOf);
  await app.register(fastifyTRPCPlugin, {
    prefix: '/trpc',
    trpcOptions: {
      router: appRouter,
      createContext: async ({ req }): Promise<TrpcContext> => {
        try {
          return { services: await servicesOf(req), requestId: req.id };
        } catch (error) {
          throw error instanceof AppError ? trpcErrorOf(error) : error;
        }
      },
      onError({ error, req }) {
        if (error.code === 'INTERNAL_SERVER_ERROR')
          req.log.error({ err: error.cause ?? error }, 'unhandled error');
      },
    } satisfies FastifyTRPCPluginOptions<AppRouter>['trpcOptions'],
  });
  await mountDocs(app);
  return app;
}
