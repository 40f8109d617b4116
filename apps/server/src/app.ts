import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import cors from '@fastify/cors';
import { errorCatalogue } from '@mentor-scheduling/contracts';
import { TRPCError } from '@trpc/server';
import { type FastifyTRPCPluginOptions, fastifyTRPCPlugin } from '@trpc/server/adapters/fastify';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Config, TrustedProxies } from './config.js';
import { type Database, openDatabase } from './db/connection.js';
import {
  DEMO_ADMIN_EMAIL,
  DEMO_PASSWORD,
  demoMentorEmail,
  demoMentors,
  demoStudents,
  hasDemoAccounts,
  seedDemoCatalogue,
} from './db/demo-catalogue.js';
import { migrateToLatest } from './db/migrate.js';
import { operatorTokenCheck } from './http/actor.js';
import { mountDocs } from './http/docs.js';
import { mountMetrics } from './http/metrics.js';
import { type ProblemParts, problemOf, problemPartsOf } from './http/problem.js';
import { clientAddressOf, mountProtection, securityHeadersFor } from './http/protection.js';
import { methodsAllowedAt, mountRestOperations } from './http/rest.js';
import { type AppRouter, appRouter, asTrpcError, problemPartsOfTrpc, type TrpcContext } from './http/trpc.js';
import { isTrpcRequest, TRPC_PREFIX, trpcEnvelopeOf } from './http/trpc-envelope.js';
import { mountTrpcMutations, settledOutcomeOf } from './http/trpc-mutations.js';
import { mountTrpcReads } from './http/trpc-reads.js';
import { isAppPageRequest, mountWebApp, type WebApp } from './http/web-app.js';
import { fileMailer } from './integrations/email/file-mailer.js';
import { smtpMailer } from './integrations/email/smtp-mailer.js';
import { stripePayments } from './integrations/stripe/stripe-payments.js';
import { httpWebhookSender } from './integrations/webhooks/http-webhook-sender.js';
import { createAppMetrics } from './metrics/app-metrics.js';
import { AnswerCache } from './services/answer-cache.js';
import { AppError } from './services/errors.js';
import { actorOf, type ServiceContext } from './services/index.js';
import type { Mailer, WebhookSender } from './services/notification-ports.js';
import { startOutboxDispatcher } from './services/outbox-dispatcher.js';
import { hashPassword, PasswordHasher } from './services/passwords.js';
import type { PaymentProvider } from './services/payment-provider.js';
import { startPaymentUpkeep } from './services/payments.js';
import { startSweeper } from './services/sweeper.js';
import { traceLogFields, tracingActive } from './telemetry/spans.js';

/** The most calls one tRPC batch may carry. */
export const TRPC_MAX_BATCH_SIZE = 16;

export interface AppOptions {
  /** The clock every rule reads ("now"); tests pin it. */
  now?: () => number;
  /** Where logs go (default stdout); tests read them to check nothing secret is logged. */
  logStream?: NodeJS.WritableStream;
  /**
   * tRPC reads and single mutations served like REST (http/trpc-reads.ts, http/trpc-mutations.ts);
   * off, the tRPC plugin answers every call: tests compare the two.
   */
  trpcShortcuts?: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    db: Database;
    /** The app's password hashing, bounded; tests read its counters */
    passwords: PasswordHasher;
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

/**
 * Answers a refusal in the protocol of the door it came through: a problem document on REST, the
 * tRPC error envelope of the same code on /trpc (a tRPC client cannot read a problem document).
 * Headers the refusal needs (Retry-After, WWW-Authenticate) go with it either way.
 */
function sendRefusal(
  request: FastifyRequest,
  reply: FastifyReply,
  parts: ProblemParts,
  instance = request.url,
) {
  for (const [name, value] of Object.entries(parts.headers ?? {})) reply.header(name, value);
  // Also on refusals made before routing, which skip the hooks that set it on every other answer.
  reply.header('x-request-id', request.id);
  if (isTrpcRequest(request.url)) {
    const envelope = trpcEnvelopeOf(parts);
    return reply.code(envelope.status).type('application/json').send(envelope.body);
  }
  const problem = problemOf(parts, instance, request.id);
  return reply.code(problem.status).type('application/problem+json').send(problem);
}

const REQUEST_ID_PATTERN = /^[\w.:@/+=-]{1,128}$/;

function acceptedRequestId(sent: string | string[] | undefined): string | undefined {
  return typeof sent === 'string' && REQUEST_ID_PATTERN.test(sent) ? sent : undefined;
}

/** `TRUST_PROXY` as Fastify takes it: a hop count becomes "trust the N nearest peers". */
function trustedProxyCheckOf(
  trust: TrustedProxies,
): boolean | string[] | ((_: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust;
}

/**
 * Refusals Fastify makes before routing (a path that is not valid percent-encoding, a path segment
 * longer than the router keeps): problem documents like every other answer, without echoing the URL.
 */
function sendFrameworkProblem(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const parts: ProblemParts =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? { code: 'uri_too_long', detail: 'A path segment is longer than any id or name the API uses' }
      : { code: 'invalid_request', detail: 'The request path is not valid percent-encoded UTF-8' };
  return sendRefusal(request, reply.headers(securityHeadersFor(request)), parts, '/');
}

const clientErrorParts: Record<string, ProblemParts> = {
  HPE_HEADER_OVERFLOW: { code: 'headers_too_large', detail: 'The request headers are too large' },
  ERR_HTTP_REQUEST_TIMEOUT: {
    code: 'request_timeout',
    detail: 'The request was not received in time; send it again',
  },
};

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (malformed HTTP, oversized headers, a
 * request not received in time): answered on the socket as a problem document with the security
 * headers, as every other answer is, then the connection is closed.
 */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // An answer already begun on this connection (a refusal sent before the body finished arriving)
  // must not be followed by a second, unasked one.
  const answering = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || answering?.headersSent) {
    socket.destroy();
    return;
  }
  const parts = clientErrorParts[error.code ?? ''] ?? {
    code: 'invalid_request',
    detail: 'The request is not valid HTTP/1.1',
  };
  const requestId = randomUUID();
  const problem = problemOf(parts, '/', requestId);
  const body = JSON.stringify(problem);
  const headers = {
    ...securityHeadersFor(undefined),
    'content-type': 'application/problem+json',
    'content-length': String(Buffer.byteLength(body)),
    'x-request-id': requestId,
    connection: 'close',
  };
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.end(`HTTP/1.1 ${problem.status} ${errorCatalogue[parts.code].title}\r\n${head.join('')}\r\n${body}`);
}

/**
 * The demo catalogue for newcomers (SEED_DEMO), and a loud warning whenever the database holds the
 * demo accounts, whose password is published. In production they are never created, and a database
 * that holds them is refused: anyone could log in as its admin.
 */
async function loadDemoCatalogue(db: Database, config: Config, log: FastifyBaseLogger, now: number) {
  const production = config.env === 'production';
  if (config.seedDemo) {
    const demoHash = production ? null : () => hashPassword(DEMO_PASSWORD, config.auth.scrypt);
    if (await seedDemoCatalogue(db.knex, config.defaultTimezone, demoHash, now)) {
      log.info(production ? 'demo catalogue (without accounts) loaded' : 'demo catalogue loaded');
    }
  }
  if (!(await hasDemoAccounts(db.knex))) return;
  if (production) {
    throw new Error(
      `The database holds demo accounts (${DEMO_ADMIN_EMAIL}, the demo students or mentors; their ` +
        'password is published in the README); delete them before running it in production',
    );
  }
  log.warn(
    {
      password: DEMO_PASSWORD,
      admin: DEMO_ADMIN_EMAIL,
      students: demoStudents.map((student) => student.email),
      mentors: `${demoMentorEmail(demoMentors[0]?.name ?? '')} … (first.last@mentors.example.com)`,
    },
    'DEMO ACCOUNTS EXIST: anyone can log in as them, admin included, with the published password; never expose this server',
  );
}

/**
 * A request as logged: the path and the names of its query parameters, never their values, since a
 * caller may put a password or a token in the URL (the API refuses it, but after it was logged).
 */
function loggedRequestOf(request: FastifyRequest) {
  const [path, query] = request.url.split('?', 2);
  const queryNames = query ? [...new URLSearchParams(query).keys()] : [];
  return {
    method: request.method,
    // A calendar feed's address is its credential: the log keeps that it was fetched, not the key.
    url: path?.replace(/^\/api\/calendar-feeds\/[^/]+/, '/api/calendar-feeds/<token>'),
    ...(queryNames.length > 0 ? { query_parameters: queryNames } : {}),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

/** How often lapsed holds are written down and refunds the provider could not take are tried again. */
const PAYMENT_UPKEEP_INTERVAL_MS = 60_000;

/** The payment provider's adapter that the configuration names, if any. */
function paymentProviderOf(config: Config, now: () => number): PaymentProvider | null {
  const payments = config.payments;
  if (payments.provider === 'none') return null;
  return stripePayments({
    now,
    secretKey: payments.secretKey,
    webhookSecret: payments.webhookSecret,
    ...(payments.apiBase ? { apiBase: payments.apiBase } : {}),
  });
}

/** Where email goes, as configured: an SMTP server, files (development), or nowhere. */
function mailerOf(config: Config, log: FastifyBaseLogger): Mailer | null {
  const email = config.notifications.email;
  if (email.mode === 'smtp') return smtpMailer({ url: email.url });
  if (email.mode === 'files') return fileMailer({ directory: email.directory, log });
  if (config.env === 'production')
    log.warn({ event: 'email_off' }, 'SMTP_URL is not set: no email is sent (confirmations, reminders)');
  return null;
}

/** The application, ready to listen or to be called through `inject()`: what every test starts. */
export async function buildApp(config: Config, options: AppOptions = {}): Promise<FastifyInstance> {
  const now = options.now ?? Date.now;
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: ['req.headers.authorization', 'req.headers.cookie'],
      serializers: { req: loggedRequestOf },
      ...(options.logStream ? { stream: options.logStream } : {}),
      // With tracing on, each line names the trace and span it was written in; off, nothing is added.
      ...(tracingActive() ? { mixin: traceLogFields } : {}),
    },
    bodyLimit: config.bodyLimitBytes,
    // A caller's own request id (a proxy's, a client's) is kept when it is a plain token of sane
    // length: it goes into every log line, trace and audit entry of the request.
    requestIdHeader: false,
    genReqId: (request) => acceptedRequestId(request.headers['x-request-id']) ?? randomUUID(),
    // A tRPC batch names its procedures in one path segment (`/trpc/areas.list,auth.me,…`): the
    // router's default bound of 100 characters would cap batches at a handful of calls.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    trustProxy: trustedProxyCheckOf(config.trustProxy),
    // A client that sends its headers or body slowly, or not at all, is cut off instead of holding a
    // connection (and the shutdown) forever.
    requestTimeout: config.timeouts.requestMs,
    http: {
      headersTimeout: Math.min(config.timeouts.headersMs, config.timeouts.requestMs),
      // Node checks those timeouts this often (30 s by default, which would double them).
      connectionsCheckingInterval: 1000,
    },
    // A connection that sends nothing at all is dropped too; later than the 408 of a slow request.
    connectionTimeout: 2 * config.timeouts.requestMs,
    keepAliveTimeout: config.timeouts.keepAliveMs,
    // A request that arrives on an open connection while the drain runs is answered as usual (with
    // `Connection: close`), not with Fastify's own 503, which no client of ours could read.
    return503OnClosing: false,
    frameworkErrors: (error, request, reply) => sendFrameworkProblem(error, request, reply),
    clientErrorHandler: answerClientError,
  });

  // Bodies are JSON or nothing: without this, Fastify would hand text/plain to the routes as a string.
  app.removeContentTypeParser('text/plain');

  const metrics = createAppMetrics({ now });
  app.addHook('onClose', async () => metrics.close());
  const db = openDatabase(config.database, {
    onWriteWait: metrics.writeWaited,
    onCheckpointFailure: (message) =>
      app.log.warn({ event: 'checkpoint_failed', message }, 'WAL checkpoint failed'),
  });
  app.decorate('db', db);
  app.addHook('onClose', async () => db.close());
  metrics.watchDatabase(db);
  try {
    const applied = await migrateToLatest(db.knex);
    if (applied.length > 0) app.log.info({ migrations: applied }, 'database migrated');
    await loadDemoCatalogue(db, config, app.log, now());
  } catch (error) {
    await db.close();
    metrics.close();
    throw error;
  }

  const passwords = new PasswordHasher(config.auth);
  app.decorate('passwords', passwords);
  const sweeper = startSweeper(db, now, config.sweepIntervalMinutes * 60_000, app.log);
  // Before onClose, which closes the database under a sweep still running.
  app.addHook('preClose', () => sweeper.stop());
  const payments = paymentProviderOf(config, now);
  // Runs also with payments off: holds left from a time they were on still lapse and are written so.
  const paymentUpkeep = startPaymentUpkeep(
    { db, now, log: app.log, payments, metrics: metrics.services },
    Math.min(PAYMENT_UPKEEP_INTERVAL_MS, config.sweepIntervalMinutes * 60_000),
  );
  app.addHook('preClose', () => paymentUpkeep.stop());
  const webhooks: WebhookSender = httpWebhookSender({
    allowPrivate: config.notifications.webhookAllowPrivate,
  });
  if (config.notifications.dispatch) {
    const mailer = mailerOf(config, app.log);
    if (mailer) app.log.info({ mail: mailer.description }, 'email notifications on');
    const outbox = startOutboxDispatcher({
      db,
      now,
      log: app.log,
      config: config.notifications,
      mailer,
      webhooks,
      publicBaseUrl: config.publicBaseUrl,
      metrics: metrics.services,
    });
    // Before onClose: the round in progress finishes its sends and marks while the database is open.
    app.addHook('preClose', () => outbox.stop());
  } else {
    app.log.info({ event: 'outbox_dispatch_off' }, 'OUTBOX_DISPATCHER=off: other processes send the outbox');
  }

  await mountProtection(app, config);
  const requestMetrics = mountMetrics(app, {
    metrics,
    token: config.metricsToken,
    maxBatchSize: TRPC_MAX_BATCH_SIZE,
  });
  if (!config.metricsToken && config.env === 'production')
    app.log.warn(
      { event: 'metrics_open' },
      'METRICS_TOKEN is not set: anyone who can reach /metrics reads it',
    );
  if (config.corsOrigins === '*' || config.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: config.corsOrigins === '*' ? true : config.corsOrigins,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      // Without these a browser hides the next page, the wait after a 429/503 and the request id.
      exposedHeaders: ['link', 'retry-after', 'x-request-id', 'www-authenticate'],
      maxAge: 600,
    });
    // The allowed origin depends on the request's Origin, so caches must keep one answer per origin;
    // tRPC's answers set their own Vary, which would otherwise drop Origin from it.
    app.addHook('onSend', async (_request, reply) => {
      const vary = String(reply.getHeader('vary') ?? '');
      if (!/\borigin\b/i.test(vary)) reply.header('vary', vary ? `${vary}, Origin` : 'Origin');
    });
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
    clientAddress: clientAddressOf(request),
    passwords,
    payments,
    webhooks,
    origin: `${request.protocol}://${request.host}`,
    metrics: metrics.services,
    requestId: request.id,
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    // tRPC's adapter refuses some requests (an unreadable Host header) before its own error handling.
    const parts =
      error instanceof TRPCError
        ? problemPartsOfTrpc(error)
        : (problemPartsOfFastify(error) ?? problemPartsOf(error));
    if (parts.code === 'internal_error') request.log.error({ err: error }, 'unhandled error');
    if (parts.code === 'storage_unavailable') request.log.error({ err: error }, 'storage unavailable');
    return sendRefusal(request, reply, parts);
  });

  let webApp: WebApp | null = null;
  app.setNotFoundHandler((request, reply) => {
    if (webApp && isAppPageRequest(request)) return webApp.sendIndex(reply);
    const allowed = methodsAllowedAt(request.url);
    const parts: ProblemParts =
      allowed.length > 0
        ? {
            code: 'method_not_allowed',
            detail: `${request.method} is not allowed here; use ${allowed.join(', ')}`,
          }
        : { code: 'route_not_found', detail: `No route ${request.method} ${request.url.split('?')[0]}` };
    if (allowed.length > 0) reply.header('allow', allowed.join(', '));
    return sendRefusal(request, reply, parts);
  });

  mountRestOperations(app, servicesOf);
  if (options.trpcShortcuts !== false) {
    mountTrpcReads(app, { maxBatchSize: TRPC_MAX_BATCH_SIZE, servicesOf });
    mountTrpcMutations(app, { servicesOf });
  }
  await app.register(fastifyTRPCPlugin, {
    prefix: TRPC_PREFIX,
    trpcOptions: {
      router: appRouter,
      // Each call of a batch costs as much as a request of its own; larger batches are refused (400).
      maxBatchSize: TRPC_MAX_BATCH_SIZE,
      createContext: async ({ req }): Promise<TrpcContext> => {
        try {
          const settled = settledOutcomeOf(req);
          return { services: settled?.services ?? (await servicesOf(req)), requestId: req.id, settled };
        } catch (error) {
          // Who is calling is read from the database: a busy or failing one is a 503 here as on REST.
          throw asTrpcError(error);
        }
      },
      onError({ error, req, path }) {
        requestMetrics.trpcCallFailed(req, path, getHTTPStatusCodeFromError(error));
        if (error.code === 'INTERNAL_SERVER_ERROR')
          req.log.error({ err: error.cause ?? error }, 'unhandled error');
        if (error.cause instanceof AppError && error.cause.code === 'storage_unavailable')
          req.log.error({ err: error.cause }, 'storage unavailable');
      },
    } satisfies FastifyTRPCPluginOptions<AppRouter>['trpcOptions'],
  });
  await mountDocs(app);
  webApp = await mountWebApp(app, config.webAppDirectory);
  return app;
}
