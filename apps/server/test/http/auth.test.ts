import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ApiResponse,
  anonymously,
  demo,
  loginAs,
  NOW,
  startTestApp,
  type TestApp,
} from '../support/app.js';

const password = 'a long enough password';
let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('accounts', () => {
  it('registers a student who can then act with the token', async () => {
    t = await startTestApp();
    const registered = await t.api.post(
      '/api/auth/register',
      { name: 'Ira Bhat', email: 'Ira.Bhat@example.com', password, area_of_interest: 'Consulting' },
      anonymously,
    );
    expect(registered.status).toBe(201);
    expect(registered.body).toMatchObject({
      token_type: 'Bearer',
      token: expect.stringMatching(/^mst_/),
      account: { role: 'student', email: 'Ira.Bhat@example.com', mentor_id: null },
    });
    const asIra = { authorization: `Bearer ${registered.body.token}` };
    const me = await t.api.get('/api/auth/me', asIra);
    expect(me.body.student_id).toBe(registered.body.account.student_id);
    const student = await t.api.get(`/api/students/${me.body.student_id}`, asIra);
    expect(student.body).toMatchObject({ name: 'Ira Bhat', area_of_interest: 'Consulting' });
    const booked = await t.api.post(
      '/api/bookings',
      { mentor_id: demo.rohan, start_time: '2026-12-01T19:00:00', duration: 30 },
      asIra,
    );
    expect([booked.status, booked.body.booking.student_id]).toEqual([201, me.body.student_id]);
    const forOther = await t.api.post(
      '/api/bookings',
      {
        student_id: demo.students.aarav,
        mentor_id: demo.rohan,
        start_time: '2026-12-01T20:00:00',
        duration: 30,
      },
      asIra,
    );
    expect([forOther.status, forOther.body.code]).toEqual([403, 'forbidden']);
  });

  it('refuses an email twice, whatever its case, and weak passwords', async () => {
    t = await startTestApp();
    const again = await t.api.post(
      '/api/auth/register',
      { name: 'Aarav Again', email: 'AARAV.SHARMA@example.com', password },
      anonymously,
    );
    expect([again.status, again.body.code]).toEqual([409, 'email_taken']);
    const weak = await t.api.post(
      '/api/auth/register',
      { name: 'W', email: 'w@example.com', password: 'short' },
      anonymously,
    );
    expect([weak.status, weak.body.errors[0].path]).toEqual([400, '/password']);
  });

  it('answers a wrong password and an unknown email the same way', async () => {
    t = await startTestApp();
    const wrong = await t.api.post(
      '/api/auth/login',
      { email: 'aarav.sharma@example.com', password: 'nope nope nope' },
      anonymously,
    );
    const unknown = await t.api.post(
      '/api/auth/login',
      { email: 'ghost@example.com', password: 'nope nope nope' },
      anonymously,
    );
    const strip = ({ request_id: _, ...rest }: Record<string, unknown>) => rest;
    expect(wrong.status).toBe(401);
    expect(strip(wrong.body)).toEqual(strip(unknown.body));
  });

  it('lets an admin create a mentor’s account, which manages only that mentor', async () => {
    t = await startTestApp();
    const mentor = await t.api.post('/api/mentors', { name: 'Neha Joshi', areas_of_expertise: ['Strategy'] });
    const mentorId = mentor.body.id as number;
    const created = await t.api.post('/api/auth/accounts', {
      email: 'neha.joshi@example.com',
      password,
      role: 'mentor',
      mentor_id: mentorId,
    });
    expect([created.status, created.body.mentor_id]).toEqual([201, mentorId]);
    const again = await t.api.post('/api/auth/accounts', {
      email: 'other@example.com',
      password,
      role: 'mentor',
      mentor_id: mentorId,
    });
    expect([again.status, again.body.code]).toEqual([409, 'account_exists']);
    const asMentor = await loginAs(t.api, 'neha.joshi@example.com', password);
    expect(
      (await t.api.patch(`/api/mentors/${mentorId}`, { headline: 'Strategy lead' }, asMentor)).status,
    ).toBe(200);
    expect((await t.api.patch('/api/mentors/6', { headline: 'Not me' }, asMentor)).status).toBe(403);
    const promote = await t.api.patch(`/api/mentors/${mentorId}`, { is_premium: true }, asMentor);
    expect([promote.status, promote.body.code]).toEqual([403, 'forbidden']);
  });
});

describe('tokens', () => {
  it('stop working when they expire', async () => {
    let now = NOW;
    t = await startTestApp({ AUTH_TOKEN_TTL_HOURS: '1' }, () => now);
    const asAarav = await loginAs(t.api, 'aarav.sharma@example.com');
    expect((await t.api.get('/api/auth/me', asAarav)).status).toBe(200);
    now = NOW + 61 * 60_000;
    const expired = await t.api.get('/api/auth/me', asAarav);
    expect([expired.status, expired.body.code]).toEqual([401, 'unauthenticated']);
  });

  it('stop working once logged out, and only that token', async () => {
    t = await startTestApp();
    const first = await loginAs(t.api, 'aarav.sharma@example.com');
    const second = await loginAs(t.api, 'aarav.sharma@example.com');
    expect((await t.api.post('/api/auth/logout', undefined, first)).body).toEqual({ revoked: true });
    expect((await t.api.get('/api/auth/me', first)).status).toBe(401);
    expect((await t.api.get('/api/auth/me', second)).status).toBe(200);
  });

  it('are stored only as hashes', async () => {
    t = await startTestApp();
    const headers = await loginAs(t.api, 'aarav.sharma@example.com');
    const token = headers.authorization?.replace('Bearer ', '') as string;
    const rows = await t.app.db.knex('auth_tokens').select('token_hash');
    expect(rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(rows)).not.toContain(token);
  });
});

describe('abuse limits', () => {
  it('throttles password guessing per email, even with the right password, then lets it go', async () => {
    let now = NOW;
    t = await startTestApp({ LOGIN_MAX_FAILURES: '3', LOGIN_LOCK_MINUTES: '10' }, () => now);
    const attempt = (pw: string) =>
      t?.api.post('/api/auth/login', { email: 'aarav.sharma@example.com', password: pw }, anonymously);
    for (let index = 0; index < 3; index += 1) expect((await attempt('guess guess guess'))?.status).toBe(401);
    const locked = await attempt('demo-password');
    expect([locked?.status, locked?.body.code]).toEqual([429, 'rate_limited']);
    expect(Number(locked?.headers['retry-after'])).toBeGreaterThan(0);
    const ghost = () =>
      t?.api.post('/api/auth/login', { email: 'ghost@example.com', password: 'x' }, anonymously);
    for (let index = 0; index < 3; index += 1) await ghost();
    expect((await ghost())?.status).toBe(429);
    now += 11 * 60_000;
    expect((await attempt('demo-password'))?.status).toBe(200);
  });

  it('limits requests to the credential routes per client with 429 and Retry-After', async () => {
    t = await startTestApp({ AUTH_RATE_LIMIT_MAX: '5' });
    const statuses: number[] = [];
    let last: ApiResponse | undefined;
    for (let index = 0; index < 6; index += 1) {
      last = await t.api.post(
        '/api/auth/login',
        { email: `x${index}@example.com`, password: 'whatever' },
        anonymously,
      );
      statuses.push(last.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect(last?.headers['content-type']).toContain('application/problem+json');
    expect(last?.body.code).toBe('rate_limited');
    expect(last?.headers['retry-after']).toBeDefined();
    expect((await t.api.get('/api/areas', anonymously)).status).toBe(200);
  });

  it('sends security headers and CORS only to configured origins', async () => {
    t = await startTestApp({ CORS_ORIGINS: 'https://app.example.com' });
    const allowed = await t.app.inject({
      method: 'GET',
      url: '/api/areas',
      headers: { origin: 'https://app.example.com' },
    });
    const other = await t.app.inject({
      method: 'GET',
      url: '/api/areas',
      headers: { origin: 'https://evil.example' },
    });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expect(allowed.headers['x-content-type-options']).toBe('nosniff');
    expect(allowed.headers['strict-transport-security']).toBeDefined();
  });
});

describe('secrets never leave the server', () => {
  it('keeps passwords, tokens and hashes out of every answer and every log line', async () => {
    const logs = new PassThrough();
    let logged = '';
    logs.on('data', (chunk) => {
      logged += chunk.toString();
    });
    const logged$ = await startTestApp({ LOG_LEVEL: 'trace' }, undefined, logs);
    try {
      const secret = 'my very secret password';
      const answers: string[] = [];
      const register = await logged$.api.post(
        '/api/auth/register',
        { name: 'Leak Test', email: 'leak@example.com', password: secret },
        anonymously,
      );
      answers.push(JSON.stringify(register.body));
      const token = register.body.token as string;
      const login = await logged$.api.post(
        '/api/auth/login',
        { email: 'leak@example.com', password: secret },
        anonymously,
      );
      answers.push(JSON.stringify(login.body));
      const asLeak = { authorization: `Bearer ${login.body.token}` };
      answers.push(JSON.stringify((await logged$.api.get('/api/auth/me', asLeak)).body));
      answers.push(
        JSON.stringify(
          (
            await logged$.api.post(
              '/api/auth/login',
              { email: 'leak@example.com', password: 'wrong!' },
              anonymously,
            )
          ).body,
        ),
      );
      const hashes = (await logged$.app.db.knex('accounts').select('password_hash')).map(
        (row) => row.password_hash,
      );
      const tokenHashes = (await logged$.app.db.knex('auth_tokens').select('token_hash')).map(
        (row) => row.token_hash,
      );
      for (const text of [...answers, logged]) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain('scrypt$');
        for (const hash of [...hashes, ...tokenHashes]) expect(text).not.toContain(hash);
      }
      expect(logged).not.toContain(token);
      expect(logged).not.toContain(login.body.token);
      expect(logged).toContain('incoming request');
    } finally {
      await logged$.close();
    }
  });
});
