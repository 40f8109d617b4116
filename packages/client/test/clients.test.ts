import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, loadConfig } from '@mentor-scheduling/server';
import { TRPCClientError } from '@trpc/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { type AppRouter, createRestClient, createTrpcClient, type RouterOutputs } from '../src/index.js';

const NOW = Date.parse('2026-12-01T00:00:00Z');

describe('typed clients against a running server', () => {
  let app: FastifyInstance;
  let baseUrl: string;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mentor-scheduling-client-'));
    const config = loadConfig({
      NODE_ENV: 'test',
      DB_CLIENT: process.env.DB_CLIENT ?? 'better-sqlite3',
      DB_FILENAME: join(dir, 'client.sqlite'),
      SEED_DEMO: 'true',
      PASSWORD_SCRYPT_LOG2N: '12',
    });
    app = await buildApp(config, { now: () => NOW });
    baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists mentors of an area through the REST client', async () => {
    const rest = createRestClient({ baseUrl });
    const { data, error, response } = await rest.GET('/api/mentors', {
      params: { query: { area_of_expertise: 'FMCG Sales', limit: 2 } },
    });
    expect(error).toBeUndefined();
    expect(data?.map((mentor) => mentor.name)).toEqual(['Ananya Iyer', 'Arjun Desai']);
    expect(response.headers.get('link')).toMatch(/rel="next"/);
  });

  async function studentToken(email: string): Promise<string> {
    const login = await createRestClient({ baseUrl }).POST('/api/auth/login', {
      body: { email, password: 'demo-password' },
    });
    expect(login.response.status).toBe(200);
    return login.data?.token as string;
  }

  it('refuses to book without a token', async () => {
    const refused = await createRestClient({ baseUrl }).POST('/api/bookings', {
      body: { mentor_id: 1, start_time: '2026-12-02T19:00:00+05:30', duration: 45 },
    });
    expect([refused.response.status, refused.error?.code]).toEqual([401, 'unauthenticated']);
  });

  it('books through the REST client and reads the booking back through tRPC', async () => {
    const token = await studentToken('aarav.sharma@example.com');
    const rest = createRestClient({ baseUrl, token });
    const created = await rest.POST('/api/bookings', {
      body: { mentor_id: 1, start_time: '2026-12-02T19:00:00+05:30', duration: 45, cost: 3000 },
    });
    expect(created.response.status).toBe(201);
    const bookingId = created.data?.booking_id as number;

    const trpc = createTrpcClient({ url: `${baseUrl}/trpc`, token });
    const booking = await trpc.bookings.get.query({ id: bookingId });
    expect(booking).toMatchObject({
      id: bookingId,
      student_id: 1,
      mentor_id: 1,
      duration: 45,
      cost: 3000,
      status: 'confirmed',
    });
    expect(booking.start_time).toBe('2026-12-02T13:30:00.000Z');
  });

  it('reports a refused booking with the same code on both clients', async () => {
    const token = await studentToken('diya.patel@example.com');
    const body = { mentor_id: 1, start_time: '2026-12-02T19:00:00+05:30', duration: 30 } as const;
    const rest = createRestClient({ baseUrl, token });
    const refused = await rest.POST('/api/bookings', { body });
    expect(refused.response.status).toBe(409);
    expect(refused.error?.code).toBe('slot_taken');

    const trpc = createTrpcClient({ url: `${baseUrl}/trpc`, token });
    const failure = await trpc.bookings.create.mutate(body).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TRPCClientError);
    expect((failure as TRPCClientError<AppRouter>).data?.appCode).toBe('slot_taken');
    expect((failure as TRPCClientError<AppRouter>).data?.httpStatus).toBe(409);
  });

  it('pages through mentors with tRPC cursors', async () => {
    const trpc = createTrpcClient({ url: `${baseUrl}/trpc` });
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page: RouterOutputs['mentors']['list'] = await trpc.mentors.list.query({
        limit: 7,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...page.items.map((mentor) => mentor.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
  });

  it('types inputs and outputs from the contract', () => {
    const rest = createRestClient({ baseUrl: 'http://localhost:5000' });
    expectTypeOf(rest.GET).toBeFunction();
    expectTypeOf<RouterOutputs['bookings']['create']['booking_id']>().toEqualTypeOf<number>();
    expectTypeOf<RouterOutputs['mentors']['get']['availability']>().toEqualTypeOf<string[]>();
  });
});
