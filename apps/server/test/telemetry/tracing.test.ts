import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type SmtpSink,
  startSmtpSink,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../support/notification-peers.js';
import {
  type OtlpReceiver,
  type ReceivedSpan,
  SpanKindNumber,
  startOtlpReceiver,
} from '../support/otlp-receiver.js';
import { createTestSchema, dropTestSchema, pgTestUrl } from '../support/postgres.js';

/*
 * Traces end to end: the real server, started as `npm run dev` starts it (src/main.ts under tsx),
 * exports to an OTLP/HTTP receiver on loopback; the spans it receives are checked for what an
 * operator relies on. Then the same server without an OTLP endpoint: nothing exported, no SDK loaded.
 */

const serverDir = fileURLToPath(new URL('../..', import.meta.url));
const preload = fileURLToPath(new URL('../support/loaded-modules.ts', import.meta.url));
const ADMIN_TOKEN = 'tracing-test-operator-token-0123456789';
const START_TIMEOUT_MS = 60_000;
const client = process.env.DB_CLIENT ?? 'better-sqlite3';

interface LogLine {
  level?: number;
  msg?: string;
  reqId?: string;
  trace_id?: string;
  span_id?: string;
  [field: string]: unknown;
}

interface TracedServer {
  url: string;
  lines: LogLine[];
  /** SIGTERM, as a deployment stops it; resolves with the exit code */
  stop(): Promise<number | null>;
  /** What the preload found loaded at exit (see support/loaded-modules.ts) */
  loadedOtelModules(): string[];
}

const cleanups: (() => Promise<unknown>)[] = [];

async function databaseEnv(): Promise<Record<string, string>> {
  if (client === 'pg') {
    const schema = await createTestSchema();
    cleanups.push(() => dropTestSchema(schema));
    return { DB_CLIENT: 'pg', DATABASE_URL: pgTestUrl as string, DB_SCHEMA: schema };
  }
  const dir = mkdtempSync(join(tmpdir(), 'tracing-test-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  return { DB_CLIENT: client, DB_FILENAME: join(dir, 'db.sqlite') };
}

/** Starts src/main.ts in a process of its own and answers once it listens. */
async function startTracedServer(env: Record<string, string>): Promise<TracedServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tracing-modules-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const modulesFile = join(dir, 'loaded.json');
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', '--import', preload, 'src/main.ts'],
    {
      cwd: serverDir,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'info',
        SEED_DEMO: 'true',
        ADMIN_TOKEN,
        PASSWORD_SCRYPT_LOG2N: '10',
        LOADED_MODULES_FILE: modulesFile,
        ...(await databaseEnv()),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const lines: LogLine[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no start within ${START_TIMEOUT_MS} ms\n${stderr}`)),
      START_TIMEOUT_MS,
    );
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening\n${stderr}`));
    });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        return;
      }
      lines.push(line);
      const listening = line.msg?.match(/^Server listening at (http:\/\/\S+)$/);
      if (listening?.[1]) {
        clearTimeout(timer);
        resolve(listening[1]);
      }
    });
  });
  return {
    url,
    lines,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
    loadedOtelModules: () => JSON.parse(readFileSync(modulesFile, 'utf8')) as string[],
  };
}

interface Answer {
  status: number;
  requestId: string;
  body: unknown;
}

async function call(server: TracedServer, method: string, path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    requestId: response.headers.get('x-request-id') ?? '',
    body:
      text && response.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as unknown) : text,
  };
}

async function ok(server: TracedServer, method: string, path: string, body?: unknown) {
  const answer = await call(server, method, path, body);
  if (answer.status >= 300)
    throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer;
}

/** The server span (HTTP instrumentation, kind SERVER) of the request with this id. */
function serverSpanOf(spans: ReceivedSpan[], requestId: string): ReceivedSpan {
  const found = spans.filter(
    (span) => span.kind === SpanKindNumber.server && span.attributes['request.id'] === requestId,
  );
  expect(found, `one server span with request.id ${requestId}`).toHaveLength(1);
  return found[0] as ReceivedSpan;
}

/** Whether `span` descends from `ancestor` through parent links within the received spans. */
function descendsFrom(spans: ReceivedSpan[], span: ReceivedSpan, ancestor: ReceivedSpan): boolean {
  const byId = new Map(spans.map((each) => [each.spanId, each]));
  for (let at: ReceivedSpan | undefined = span; at; at = byId.get(at.parentSpanId)) {
    if (at.parentSpanId === ancestor.spanId) return true;
  }
  return false;
}

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

describe(`traces over OTLP/HTTP (${client})`, { timeout: 120_000 }, () => {
  let receiver: OtlpReceiver;
  let smtp: SmtpSink;
  let hooks: WebhookReceiver;
  let server: TracedServer;
  const answers: Record<string, Answer> = {};
  let exitCode: number | null;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    cleanups.push(() => receiver.close());
    smtp = await startSmtpSink();
    cleanups.push(() => smtp.close());
    hooks = await startWebhookReceiver();
    cleanups.push(() => hooks.close());
    server = await startTracedServer({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_SERVICE_NAME: 'mentor-scheduling-under-test',
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Sessions <sessions@tracing-tests.example>',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      OUTBOX_POLL_MS: '50',
    });

    const endpoint = await ok(server, 'POST', '/api/webhooks', {
      url: hooks.url,
      events: ['booking.confirmed'],
    });
    hooks.secret = (endpoint.body as { secret: string }).secret;
    answers.areas = await ok(server, 'GET', '/api/areas');
    answers.trpcMentors = await ok(server, 'GET', '/trpc/mentors.list');
    answers.missing = await call(server, 'GET', '/api/mentors/999999');
    answers.scrape = await ok(server, 'GET', '/metrics');

    // A booking, made as an operator: a student with an address, a free start of a standard mentor.
    const student = await ok(server, 'POST', '/api/students', {
      name: 'Traced Student',
      email: 'traced.student@tracing-tests.example',
    });
    const mentors = (await ok(server, 'GET', '/api/mentors?is_premium=false')).body as { id: number }[];
    const mentorId = mentors[0]?.id as number;
    const open = (await ok(server, 'GET', `/api/mentors/${mentorId}/slots?duration=30`)).body as {
      slots: { start_time: string }[];
    };
    answers.booking = await ok(server, 'POST', '/api/bookings', {
      student_id: (student.body as { id: number }).id,
      mentor_id: mentorId,
      start_time: open.slots[0]?.start_time,
      duration: 30,
    });
    // Its confirmation leaves through the outbox: an email and a webhook, each a trace of its own.
    await smtp.waitFor(1);
    await hooks.waitFor(1);
    // The graceful stop exports what is still queued before the process exits.
    exitCode = await server.stop();
  });

  it('stops cleanly and exports every span as OTLP JSON to /v1/traces, named by OTEL_SERVICE_NAME', () => {
    expect(exitCode).toBe(0);
    expect(receiver.requests.length).toBeGreaterThan(0);
    for (const request of receiver.requests) {
      expect(request).toMatchObject({ method: 'POST', path: '/v1/traces' });
      expect(request.contentType).toMatch(/^application\/json/);
    }
    const services = new Set(receiver.spans.map((span) => span.resource['service.name']));
    expect([...services]).toEqual(['mentor-scheduling-under-test']);
  });

  it('gives each request one server span with its operation id and the request id it answered', () => {
    const areas = serverSpanOf(receiver.spans, answers.areas?.requestId as string);
    expect(areas.name).toBe('GET /api/areas');
    expect(areas.attributes).toMatchObject({
      'operation.id': 'areas.list',
      'operation.surface': 'rest',
      'http.response.status_code': 200,
    });
    const trpc = serverSpanOf(receiver.spans, answers.trpcMentors?.requestId as string);
    expect(trpc.attributes).toMatchObject({ 'operation.id': 'mentors.list', 'operation.surface': 'trpc' });
    const booking = serverSpanOf(receiver.spans, answers.booking?.requestId as string);
    expect(booking.attributes).toMatchObject({
      'operation.id': 'bookings.create',
      'http.response.status_code': 201,
    });
    // A refused request is traced too, with what it asked for and how it was answered.
    expect(answers.missing?.status).toBe(404);
    const missing = serverSpanOf(receiver.spans, answers.missing?.requestId as string);
    expect(missing.attributes).toMatchObject({
      'operation.id': 'mentors.get',
      'http.response.status_code': 404,
      'http.route': '/api/mentors/:id',
    });
    // A Prometheus scrape is not traced: neither an HTTP nor a Fastify span names its request.
    expect(answers.scrape?.status).toBe(200);
    expect(
      receiver.spans.filter((span) => span.attributes['request.id'] === answers.scrape?.requestId),
    ).toEqual([]);
    expect(
      receiver.spans.filter((span) => /metrics/.test(String(span.attributes['url.path'] ?? span.name))),
    ).toEqual([]);
    // Fastify's own request span carries the same names, under the server span.
    const fastifySpan = receiver.spans.find(
      (span) => span.scope === '@fastify/otel' && span.attributes['request.id'] === answers.areas?.requestId,
    );
    expect(fastifySpan?.parentSpanId).toBe(areas.spanId);
    expect(fastifySpan?.attributes['operation.id']).toBe('areas.list');
  });

  it('puts the database work of a request in its trace, under its server span', () => {
    const areas = serverSpanOf(receiver.spans, answers.areas?.requestId as string);
    const queries = receiver.spans.filter(
      (span) => span.traceId === areas.traceId && span.scope === '@opentelemetry/instrumentation-knex',
    );
    expect(queries.length).toBeGreaterThan(0);
    for (const query of queries) {
      expect(descendsFrom(receiver.spans, query, areas)).toBe(true);
      // The knex instrumentation names SQLite drivers as knex does (better-sqlite3, sqlite3).
      expect(query.attributes['db.system.name']).toMatch(client === 'pg' ? /^postgresql$/ : /sqlite/);
    }
    if (client === 'pg') {
      const driverSpans = receiver.spans.filter(
        (span) => span.traceId === areas.traceId && span.scope === '@opentelemetry/instrumentation-pg',
      );
      expect(driverSpans.length).toBeGreaterThan(0);
    }

    // The booking's transaction is a span of its own, also on better-sqlite3 where it bypasses knex.
    const booking = serverSpanOf(receiver.spans, answers.booking?.requestId as string);
    const transaction = receiver.spans.find(
      (span) => span.traceId === booking.traceId && span.name === 'booking transaction',
    );
    expect(transaction).toBeDefined();
    expect(descendsFrom(receiver.spans, transaction as ReceivedSpan, booking)).toBe(true);
    expect(transaction?.attributes['booking.write_path']).toBe(
      client === 'better-sqlite3' ? 'group_commit' : 'knex_transaction',
    );
  });

  it('traces each outbox delivery with its outside call: the webhook POST and the SMTP send', () => {
    const deliveries = receiver.spans.filter((span) => span.name === 'outbox delivery');
    const sent = (channel: string) =>
      deliveries.find(
        (span) =>
          span.attributes['outbox.channel'] === channel && span.attributes['outbox.outcome'] === 'sent',
      );
    // (The mentor's confirmation is skipped: a demo mentor has no address.)
    const webhook = sent('webhook');
    const email = sent('email');
    expect(webhook?.parentSpanId).toBe('');
    expect(email?.parentSpanId).toBe('');
    const post = receiver.spans.find(
      (span) =>
        span.scope === '@opentelemetry/instrumentation-http' &&
        span.kind === SpanKindNumber.client &&
        span.parentSpanId === webhook?.spanId,
    );
    expect(post?.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.response.status_code': 204,
    });
    const send = receiver.spans.find(
      (span) => span.name === 'smtp send' && span.parentSpanId === email?.spanId,
    );
    expect(send?.kind).toBe(SpanKindNumber.client);
    expect(send?.attributes['server.address']).toBe('127.0.0.1');
  });

  it('writes the trace and span into every log line of a traced request, under the same request id', () => {
    for (const name of ['areas', 'booking', 'missing'] as const) {
      const requestId = answers[name]?.requestId as string;
      const span = serverSpanOf(receiver.spans, requestId);
      const lines = server.lines.filter((line) => line.reqId === requestId);
      expect(lines.map((line) => line.msg)).toEqual(
        expect.arrayContaining(['incoming request', 'request completed']),
      );
      for (const line of lines) {
        expect(line.trace_id).toBe(span.traceId);
        expect(line.span_id).toMatch(/^[0-9a-f]{16}$/);
      }
    }
  });

  it('keeps secrets out of traces: no query values, no calendar feed token', () => {
    for (const span of receiver.spans) {
      for (const key of ['url.query', 'url.path', 'url.full', 'http.target']) {
        const value = span.attributes[key];
        if (typeof value === 'string') expect(value, `${span.name} ${key}`).not.toMatch(/=/);
      }
    }
  });

  it('loaded the SDK and its instrumentations (what the next test proves absent)', () => {
    const loaded = server.loadedOtelModules();
    expect(loaded.some((path) => path.includes('/@opentelemetry/sdk-node/'))).toBe(true);
    expect(loaded.some((path) => path.includes('/@fastify/otel/'))).toBe(true);
  });
});

describe(`without an OTLP endpoint (${client})`, { timeout: 120_000 }, () => {
  it('exports nothing, loads no part of the SDK, and logs no trace ids', async () => {
    const receiver = await startOtlpReceiver();
    cleanups.push(() => receiver.close());
    // Everything but the endpoint: without it, tracing is off.
    const server = await startTracedServer({
      OTEL_SERVICE_NAME: 'mentor-scheduling-untraced',
      OTEL_BSP_SCHEDULE_DELAY: '10',
    });
    const areas = await ok(server, 'GET', '/api/areas');
    expect(await server.stop()).toBe(0);

    expect(receiver.requests).toEqual([]);
    const loaded = server.loadedOtelModules();
    // Only the API, whose calls are no-ops without an SDK.
    expect(loaded.filter((path) => !path.includes('/@opentelemetry/api/'))).toEqual([]);
    const lines = server.lines.filter((line) => line.reqId === areas.requestId);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).not.toHaveProperty('trace_id');
  });
});
