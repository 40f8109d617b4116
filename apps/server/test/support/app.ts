import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createTestSchema, dropTestSchema, pgTestUrl } from './postgres.js';
import { specViolationOf } from './spec.js';

/** Tuesday 1 December 2026, 00:00 UTC (05:30 in Asia/Kolkata): the pinned "now" of the suite. */
export const NOW = Date.parse('2026-12-01T00:00:00Z');

/** The operator token of every test app; the api helper sends it unless a test says otherwise. */
export const TEST_ADMIN_TOKEN = 'test-operator-token-0123456789';
export const asAdmin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
/** Pass as headers to call without credentials. */
export const anonymously = { authorization: '' };

/** The driver of this vitest project (see vitest.config.ts): each runs the same tests. */
export const dbClient = (process.env.DB_CLIENT ?? 'better-sqlite3') as 'better-sqlite3' | 'sqlite3' | 'pg';

export interface TestApp {
  app: FastifyInstance;
  api: Api;
  /** The variables that point a configuration at this app's database */
  databaseEnv: Record<string, string>;
  /** Another app on this app's database, as another server process would be (closing it keeps the data). */
  twin(now?: () => number): Promise<TestApp>;
  close(): Promise<void>;
}

/** Where one test app keeps its data: a fresh SQLite file, or a fresh PostgreSQL schema. */
interface TestDatabase {
  env: Record<string, string>;
  drop(): Promise<void>;
}

async function freshDatabase(): Promise<TestDatabase> {
  if (dbClient === 'pg') {
    const schema = await createTestSchema();
    return {
      env: { DB_CLIENT: 'pg', DATABASE_URL: pgTestUrl as string, DB_SCHEMA: schema },
      drop: () => dropTestSchema(schema),
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'mentor-scheduling-test-'));
  return {
    env: { DB_CLIENT: dbClient, DB_FILENAME: join(dir, 'test.sqlite') },
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * A real app on a database of its own (a fresh SQLite file, or a fresh PostgreSQL schema dropped on
 * close) with the demo catalogue, its clock pinned to NOW.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  now: () => number = () => NOW,
  logStream?: NodeJS.WritableStream,
): Promise<TestApp> {
  const database = await freshDatabase();
  try {
    return await appOn(database, env, now, logStream);
  } catch (error) {
    await database.drop();
    throw error;
  }
}

async function appOn(
  database: TestDatabase,
  env: Record<string, string>,
  now: () => number,
  logStream?: NodeJS.WritableStream,
): Promise<TestApp> {
  const config = loadConfig({
    NODE_ENV: 'test',
    ...database.env,
    SEED_DEMO: 'true',
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    // Hashing at production cost would make every login in the suite take a third of a second.
    PASSWORD_SCRYPT_LOG2N: '10',
    RATE_LIMIT_MAX: '100000',
    // The API alone, whether or not apps/web was built; test/http/web-app.test.ts serves one.
    WEB_APP_DIR: join(tmpdir(), 'mentor-scheduling-no-web-app'),
    ...env,
  });
  const app = await buildApp(config, { now, ...(logStream ? { logStream } : {}) });
  return {
    app,
    api: apiOf(app),
    databaseEnv: database.env,
    twin: (twinNow = now) => appOn({ env: database.env, drop: async () => {} }, env, twinNow),
    async close() {
      try {
        await app.close();
      } finally {
        await database.drop();
      }
    },
  };
}

export interface ApiResponse<Body = any> {
  status: number;
  headers: LightMyRequestResponse['headers'];
  body: Body;
}

export interface Api {
  get<Body = any>(url: string, headers?: Record<string, string>): Promise<ApiResponse<Body>>;
  post<Body = any>(
    url: string,
    payload?: unknown,
    headers?: Record<string, string>,
  ): Promise<ApiResponse<Body>>;
  put<Body = any>(
    url: string,
    payload?: unknown,
    headers?: Record<string, string>,
  ): Promise<ApiResponse<Body>>;
  patch<Body = any>(
    url: string,
    payload?: unknown,
    headers?: Record<string, string>,
  ): Promise<ApiResponse<Body>>;
  request<Body = any>(options: {
    method: string;
    url: string;
    payload?: string | object;
    headers?: Record<string, string>;
  }): Promise<ApiResponse<Body>>;
}

function withoutEmptyAuthorization(headers: Record<string, string>): Record<string, string> {
  const { authorization, ...rest } = headers;
  return authorization ? { ...rest, authorization } : rest;
}

/** What a tRPC call answered: its data, or its error's HTTP status, code and invalid fields. */
export interface TrpcOutcome {
  status: number;
  data?: any;
  code?: string;
  fields?: string[];
}

/** Calls one tRPC procedure (as the operator unless headers say otherwise), as a tRPC client would. */
export async function callTrpc(
  app: FastifyInstance,
  kind: 'query' | 'mutation',
  procedure: string,
  input: unknown,
  headers: Record<string, string> = asAdmin,
): Promise<TrpcOutcome> {
  const response =
    kind === 'query'
      ? await app.inject({
          method: 'GET',
          url: `/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`,
          headers: withoutEmptyAuthorization(headers),
        })
      : await app.inject({
          method: 'POST',
          url: `/trpc/${procedure}`,
          headers: withoutEmptyAuthorization(headers),
          payload: input as object,
        });
  const body = response.json();
  if (!body.error) return { status: response.statusCode, data: body.result.data };
  const errors: { path: string }[] | undefined = body.error.data.errors;
  return {
    status: body.error.data.httpStatus,
    code: body.error.data.appCode,
    ...(errors ? { fields: errors.map((error) => error.path).sort() } : {}),
  };
}

/** Logs in through the API and answers the bearer headers of that account. */
export async function loginAs(
  api: Api,
  email: string,
  password = 'demo-password',
): Promise<Record<string, string>> {
  const response = await api.post('/api/auth/login', { email, password }, anonymously);
  if (response.status !== 200) throw new Error(`login as ${email} failed: ${JSON.stringify(response.body)}`);
  return { authorization: `Bearer ${response.body.token}` };
}

/**
 * Calls the app through inject() and checks every answer against openapi/openapi.yaml, so each test
 * that calls the API also proves the spec describes what the server really says.
 */
export function apiOf(app: FastifyInstance): Api {
  const request: Api['request'] = async ({ method, url, payload, headers }) => {
    const response = await app.inject({
      method: method as 'GET',
      url,
      ...(payload === undefined ? {} : { payload }),
      headers: withoutEmptyAuthorization({
        ...(payload !== undefined && typeof payload === 'object'
          ? { 'content-type': 'application/json' }
          : {}),
        ...asAdmin,
        ...headers,
      }),
    });
    const contentType = response.headers['content-type'] as string | undefined;
    const body = contentType?.includes('json') ? response.json() : response.body;
    const violation = specViolationOf(method, url, response.statusCode, contentType, body);
    expect(violation, violation?.message).toBeNull();
    return { status: response.statusCode, headers: response.headers, body };
  };
  return {
    request,
    get: (url, headers) => request({ method: 'GET', url, ...(headers ? { headers } : {}) }),
    post: (url, payload, headers) =>
      request({ method: 'POST', url, payload: payload as object, ...(headers ? { headers } : {}) }),
    put: (url, payload, headers) =>
      request({ method: 'PUT', url, payload: payload as object, ...(headers ? { headers } : {}) }),
    patch: (url, payload, headers) =>
      request({ method: 'PATCH', url, payload: payload as object, ...(headers ? { headers } : {}) }),
  };
}

/** A booking of Rohan (mentor 2, free 19:00–23:00 on weekdays) by Aarav on Tuesday 1 December, 19:00 IST. */
export function booking(overrides: Record<string, unknown> = {}) {
  return { student_id: 1, mentor_id: 2, start_time: '2026-12-01T19:00:00', duration: 30, ...overrides };
}

/** Demo catalogue facts the tests rely on (see src/db/demo-catalogue.ts). */
export const demo = {
  /** Rohan Mehta: standard, Equity Research + Corporate Finance, Mon–Fri 19:00–23:00 Asia/Kolkata */
  rohan: 2,
  /** Priya Nair: premium, Equity Research, Tue/Thu/Sat 20:00–23:30 */
  priya: 3,
  /** Ananya Iyer: standard, FMCG Sales, Mon–Fri 19:00–23:00 */
  ananya: 1,
  /** Arjun Desai: standard, FMCG Sales, Mon–Fri 18:00–21:00 */
  arjun: 8,
  /** Harsh Malhotra: standard, FMCG Sales, Mon–Fri 19:00–23:00 + weekend mornings */
  harsh: 20,
  students: { aarav: 1, diya: 2, kabir: 3, saanvi: 4, vihaan: 5 },
} as const;

/**
 * Another app on the test app's database whose tRPC calls the tRPC plugin answers alone, without
 * the shortcuts that serve reads and single mutations like REST: tests compare the two.
 */
export async function pluginOnlyTwin(t: TestApp): Promise<FastifyInstance> {
  return buildApp(
    loadConfig({
      NODE_ENV: 'test',
      ...t.databaseEnv,
      SEED_DEMO: 'true',
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      PASSWORD_SCRYPT_LOG2N: '10',
      RATE_LIMIT_MAX: '100000',
    }),
    { now: () => NOW, trpcShortcuts: false },
  );
}

/** Headers that differ between any two answers, whoever sends them. */
const perAnswerHeaders = new Set([
  'x-request-id',
  'date',
  'content-length',
  'transfer-encoding',
  'connection',
]);

/** An answer as two servers that answer alike give it: status, headers and body. */
export function comparableAnswer(response: LightMyRequestResponse) {
  const headers = Object.fromEntries(
    Object.entries(response.headers).filter(([name]) => !perAnswerHeaders.has(name)),
  );
  return { status: response.statusCode, headers, body: response.body };
}

/**
 * An answer's data as two apps that answer alike give it: session tokens, webhook signing secrets,
 * calendar feed addresses and request ids (audit entries name theirs) are random by design.
 */
export function withoutRandomParts(data: unknown): unknown {
  if (Array.isArray(data)) return data.map(withoutRandomParts);
  if (!data || typeof data !== 'object') return data;
  const masked: Record<string, unknown> = { ...data };
  for (const random of ['token', 'secret', 'request_id']) if (random in masked) masked[random] = '<random>';
  if (typeof masked.url === 'string' && masked.url.includes('/api/calendar-feeds/')) masked.url = '<random>';
  return masked;
}
