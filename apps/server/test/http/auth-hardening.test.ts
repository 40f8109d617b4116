import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sweepExpired } from '../../src/services/sweeper.js';
import { anonymously, asAdmin, loginAs, NOW, startTestApp, type TestApp } from '../support/app.js';

const victim = 'aarav.sharma@example.com';
const rightPassword = 'demo-password';
const apps: TestApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function start(env: Record<string, string> = {}, now?: () => number): Promise<TestApp> {
  // The per-client request limit would hide the database's own counting: lift it.
  const app = await startTestApp({ AUTH_RATE_LIMIT_MAX: '100000', ...env }, now);
  apps.push(app);
  return app;
}

/** A login straight through inject, from a given client address. */
async function loginFrom(
  app: FastifyInstance,
  password: string,
  remoteAddress = '127.0.0.1',
  email = victim,
) {
  const response = await app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { email, password },
    remoteAddress,
  });
  return { status: response.statusCode, headers: response.headers, body: response.json() };
}

function tally(statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

/** 39 wrong guesses and the right password, in a shuffled order. */
function guessesWithTheRightOne(): string[] {
  const passwords = Array.from({ length: 39 }, (_, index) => `wrong guess number ${index}`);
  passwords.splice(17, 0, rightPassword);
  return passwords;
}

describe('login attempts are counted before the password is checked', () => {
  it('lets at most LOGIN_MAX_FAILURES of 40 concurrent REST logins be checked', async () => {
    const t = await start();
    const hashesBefore = t.app.passwords.counters.hashes;
    const answers = await Promise.all(guessesWithTheRightOne().map((pw) => loginFrom(t.app, pw)));
    const counts = tally(answers.map((answer) => answer.status));
    expect(counts[401] ?? 0).toBeLessThanOrEqual(5);
    expect((counts[401] ?? 0) + (counts[200] ?? 0)).toBeLessThanOrEqual(6);
    expect(counts[429]).toBeGreaterThanOrEqual(34);
    expect(t.app.passwords.counters.hashes - hashesBefore).toBeLessThanOrEqual(6);
    const refused = answers.find((answer) => answer.status === 429);
    expect(refused?.body.code).toBe('rate_limited');
    expect(Number(refused?.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('counts each call of one tRPC batch the same way', async () => {
    // Fastify's router refuses a path segment over 100 characters, so a batch holds at most 9 logins.
    const t = await start({ LOGIN_MAX_FAILURES: '3' });
    const passwords = ['wrong guess a', 'wrong guess b', 'wrong guess c', 'wrong guess d', rightPassword];
    passwords.push('wrong guess e', 'wrong guess f', 'wrong guess g', 'wrong guess h');
    const response = await t.app.inject({
      method: 'POST',
      url: `/trpc/${passwords.map(() => 'auth.login').join(',')}?batch=1`,
      payload: Object.fromEntries(passwords.map((password, index) => [index, { email: victim, password }])),
    });
    const results = response.json() as { error?: { data: { httpStatus: number; appCode: string } } }[];
    expect(results).toHaveLength(9);
    const counts = tally(results.map((result) => result.error?.data.httpStatus ?? 200));
    expect(counts[401] ?? 0).toBeLessThanOrEqual(3);
    expect(counts[429]).toBeGreaterThanOrEqual(5);
    expect(results.find((result) => result.error?.data.httpStatus === 429)?.error?.data.appCode).toBe(
      'rate_limited',
    );
  });

  it('holds across two server processes on one database', async () => {
    const t = await start();
    const twin = await t.twin();
    try {
      const answers = await Promise.all(
        guessesWithTheRightOne().map((pw, index) => loginFrom(index % 2 ? twin.app : t.app, pw)),
      );
      const counts = tally(answers.map((answer) => answer.status));
      expect(counts[401] ?? 0).toBeLessThanOrEqual(5);
      expect(counts[429]).toBeGreaterThanOrEqual(34);
    } finally {
      await twin.close();
    }
  });

  it('lets the right password in after wrong guesses, without forgiving them', async () => {
    const t = await start({ LOGIN_MAX_FAILURES: '3' });
    expect((await loginFrom(t.app, 'wrong guess one')).status).toBe(401);
    expect((await loginFrom(t.app, rightPassword)).status).toBe(200);
    expect((await loginFrom(t.app, 'wrong guess two')).status).toBe(401);
    expect((await loginFrom(t.app, 'wrong guess three')).status).toBe(401);
    expect((await loginFrom(t.app, rightPassword)).status).toBe(429);
  });
});

describe('lockout is per email and client, with a higher backstop per email', () => {
  it('does not lock the owner out from their own address when someone else guesses', async () => {
    const t = await start();
    for (let index = 0; index < 5; index += 1) {
      expect((await loginFrom(t.app, `attacker guess ${index}`, '203.0.113.9')).status).toBe(401);
    }
    expect((await loginFrom(t.app, 'attacker guess 6', '203.0.113.9')).status).toBe(429);
    expect((await loginFrom(t.app, rightPassword, '198.51.100.7')).status).toBe(200);
  });

  it('stops guesses spread over many addresses at the per-email backstop', async () => {
    const t = await start({ LOGIN_MAX_FAILURES: '2', LOGIN_MAX_FAILURES_PER_EMAIL: '5' });
    const statuses: number[] = [];
    for (let index = 0; index < 8; index += 1) {
      statuses.push((await loginFrom(t.app, `spread guess ${index}`, `203.0.113.${index + 1}`)).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    expect((await loginFrom(t.app, rightPassword, '198.51.100.7')).status).toBe(429);
  });
});

describe('password hashing is bounded', () => {
  it('runs at most PASSWORD_HASH_CONCURRENCY hashes at once and refuses beyond the queue with 503', async () => {
    // A cost high enough that the hashes overlap: 16 MiB and a few tens of milliseconds each.
    const t = await start({
      PASSWORD_SCRYPT_LOG2N: '14',
      PASSWORD_HASH_CONCURRENCY: '1',
      PASSWORD_HASH_QUEUE: '2',
    });
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        loginFrom(t.app, 'not the password', '127.0.0.1', `nobody-${index}@example.com`),
      ),
    );
    const counts = tally(answers.map((answer) => answer.status));
    expect(counts[401]).toBeGreaterThanOrEqual(3);
    expect(counts[503]).toBeGreaterThanOrEqual(1);
    expect((counts[401] ?? 0) + (counts[503] ?? 0)).toBe(12);
    const busy = answers.find((answer) => answer.status === 503);
    expect(busy?.body.code).toBe('service_busy');
    expect(Number(busy?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(t.app.passwords.counters.peakRunning).toBe(1);
  });

  it('gives a refused attempt back: a 503 does not count as a wrong guess', async () => {
    const t = await start({
      PASSWORD_SCRYPT_LOG2N: '14',
      PASSWORD_HASH_CONCURRENCY: '1',
      PASSWORD_HASH_QUEUE: '0',
      LOGIN_MAX_FAILURES: '3',
    });
    const answers = await Promise.all(Array.from({ length: 6 }, () => loginFrom(t.app, 'not it')));
    const counts = tally(answers.map((answer) => answer.status));
    expect(counts[503]).toBeGreaterThanOrEqual(1);
    const checked = counts[401] ?? 0;
    expect(checked).toBeLessThanOrEqual(3);
    // Only the guesses that were checked count against the budget.
    for (let index = checked; index < 3; index += 1)
      expect((await loginFrom(t.app, 'not it')).status).toBe(401);
    expect((await loginFrom(t.app, rightPassword)).status).toBe(429);
  });
});

describe('registration', () => {
  it('does a password hash for a taken email too, so 409 and 201 cost the same', async () => {
    const t = await start();
    const before = t.app.passwords.counters.hashes;
    const taken = await t.api.post(
      '/api/auth/register',
      { name: 'Aarav Again', email: victim, password: 'a long enough password' },
      anonymously,
    );
    expect([taken.status, taken.body.code]).toEqual([409, 'email_taken']);
    expect(t.app.passwords.counters.hashes - before).toBe(1);
  });
});

describe('password rules', () => {
  const weak: [string, string, RegExp][] = [
    ['all whitespace', ' '.repeat(12), /space/i],
    ['a control character', 'line one\nline two', /control/i],
    ['a tab', 'tab\tseparated words', /control/i],
    ['a common password', 'Password123', /common/i],
    ['another common password', 'qwertyuiop', /common/i],
    ['one character repeated', 'aaaaaaaaaaaa', /common|guess/i],
  ];

  it.each(weak)(
    'refuses %s on register, account creation and password change',
    async (_, password, message) => {
      const t = await start();
      const register = await t.api.post(
        '/api/auth/register',
        { name: 'Weak Password', email: 'weak@example.com', password },
        anonymously,
      );
      expect([register.status, register.body.code, register.body.errors?.[0]?.path]).toEqual([
        400,
        'invalid_request',
        '/password',
      ]);
      expect(register.body.errors[0].message).toMatch(message);
      const created = await t.api.post('/api/auth/accounts', {
        email: 'admin2@example.com',
        password,
        role: 'admin',
      });
      expect([created.status, created.body.errors?.[0]?.path]).toEqual([400, '/password']);
      const asAarav = await loginAs(t.api, victim);
      const changed = await t.api.post(
        '/api/auth/password',
        { current_password: rightPassword, new_password: password },
        asAarav,
      );
      expect([changed.status, changed.body.errors?.[0]?.path]).toEqual([400, '/new_password']);
      const viaTrpc = await t.app.inject({
        method: 'POST',
        url: '/trpc/auth.register',
        payload: { name: 'Weak Password', email: 'weak@example.com', password },
      });
      expect(viaTrpc.json().error.data).toMatchObject({ appCode: 'invalid_request', httpStatus: 400 });
    },
  );

  it('accepts a long passphrase with spaces and non-ASCII letters', async () => {
    const t = await start();
    const registered = await t.api.post(
      '/api/auth/register',
      { name: 'Good Password', email: 'good@example.com', password: 'chai at the ghat, 6 am' },
      anonymously,
    );
    expect(registered.status).toBe(201);
  });
});

describe('tokens can be revoked in bulk', () => {
  it('logs out everywhere: every token of the account stops working, others keep working', async () => {
    const t = await start();
    const first = await loginAs(t.api, victim);
    const second = await loginAs(t.api, victim);
    const other = await loginAs(t.api, 'diya.patel@example.com');
    const revoked = await t.api.post('/api/auth/logout-all', undefined, first);
    expect([revoked.status, revoked.body]).toEqual([200, { tokens_revoked: 2 }]);
    expect((await t.api.get('/api/auth/me', first)).status).toBe(401);
    expect((await t.api.get('/api/auth/me', second)).status).toBe(401);
    expect((await t.api.get('/api/auth/me', other)).status).toBe(200);
    const operator = await t.api.post('/api/auth/logout-all', undefined, asAdmin);
    expect([operator.status, operator.body.code]).toEqual([400, 'invalid_request']);
  });

  it('changes the password with the current one, keeping this token and revoking the others', async () => {
    const t = await start();
    const here = await loginAs(t.api, victim);
    const elsewhere = await loginAs(t.api, victim);
    const newPassword = 'a brand new passphrase';
    const wrong = await t.api.post(
      '/api/auth/password',
      { current_password: 'not my password', new_password: newPassword },
      here,
    );
    expect([wrong.status, wrong.body.errors?.[0]?.path]).toEqual([400, '/current_password']);
    const changed = await t.api.post(
      '/api/auth/password',
      { current_password: rightPassword, new_password: newPassword },
      here,
    );
    expect([changed.status, changed.body]).toEqual([200, { tokens_revoked: 1 }]);
    expect((await t.api.get('/api/auth/me', here)).status).toBe(200);
    expect((await t.api.get('/api/auth/me', elsewhere)).status).toBe(401);
    expect((await loginFrom(t.app, rightPassword)).status).toBe(401);
    expect((await loginFrom(t.app, newPassword)).status).toBe(200);
  });

  it('counts wrong current passwords against the login budget', async () => {
    const t = await start({ LOGIN_MAX_FAILURES: '2' });
    const here = await loginAs(t.api, victim);
    const attempt = (current: string) =>
      t.api.post(
        '/api/auth/password',
        { current_password: current, new_password: 'another fine passphrase' },
        here,
      );
    expect((await attempt('guess one')).status).toBe(400);
    expect((await attempt('guess two')).status).toBe(400);
    const limited = await attempt(rightPassword);
    expect([limited.status, limited.body.code]).toEqual([429, 'rate_limited']);
  });

  it('lets an admin revoke an account’s tokens, and nobody else', async () => {
    const t = await start();
    const asAarav = await loginAs(t.api, victim);
    const account = (await t.api.get('/api/auth/me', asAarav)).body.id as number;
    const bySelf = await t.api.post(`/api/auth/accounts/${account}/revoke-tokens`, undefined, asAarav);
    expect([bySelf.status, bySelf.body.code]).toEqual([403, 'forbidden']);
    const byAdmin = await t.api.post(`/api/auth/accounts/${account}/revoke-tokens`);
    expect([byAdmin.status, byAdmin.body]).toEqual([200, { tokens_revoked: 1 }]);
    expect((await t.api.get('/api/auth/me', asAarav)).status).toBe(401);
    const unknown = await t.api.post('/api/auth/accounts/99999/revoke-tokens');
    expect([unknown.status, unknown.body.code]).toEqual([404, 'not_found']);
  });
});

async function rowsOf(t: TestApp, table: string): Promise<number> {
  const [row] = await t.app.db.knex(table).count({ n: '*' });
  return Number(row?.n);
}

describe('the sweeper', () => {
  const DAY = 24 * 60 * 60_000;

  it('deletes expired and revoked tokens, ended login windows and old idempotency keys, and keeps the rest', async () => {
    let now = NOW;
    const t = await start({ AUTH_TOKEN_TTL_HOURS: '1' }, () => now);
    await loginAs(t.api, victim); // expires at NOW + 1 h
    const revokedSoon = await loginAs(t.api, 'diya.patel@example.com');
    await t.api.post('/api/auth/logout', undefined, revokedSoon);
    expect((await loginFrom(t.app, 'a wrong guess')).status).toBe(401);
    const knex = t.app.db.knex;
    await knex('idempotency_keys').insert([
      {
        scope: 's',
        key: 'old',
        request_hash: 'h',
        status_code: 201,
        response_body: '{}',
        created_at: new Date(NOW - 2 * DAY),
      },
      {
        scope: 's',
        key: 'new',
        request_hash: 'h',
        status_code: 201,
        response_body: '{}',
        created_at: new Date(NOW),
      },
    ]);

    now = NOW + 2 * 60 * 60_000;
    const early = await sweepExpired(t.app.db, now);
    // Tokens are kept a day past their end; the login window (15 minutes) has ended.
    expect(early).toMatchObject({ tokens: 0, idempotencyKeys: 1 });
    expect(early.loginAttempts).toBeGreaterThan(0);
    expect(await rowsOf(t, 'login_attempts')).toBe(0);
    now = NOW + 2 * DAY;
    const late = await sweepExpired(t.app.db, now);
    expect(late.tokens).toBe(2);
    expect(await knex('idempotency_keys').pluck('key')).toEqual([]);
    const fresh = await loginAs(t.api, victim);
    await sweepExpired(t.app.db, now);
    expect((await t.api.get('/api/auth/me', fresh)).status).toBe(200);
  });

  it('runs once when a server starts', async () => {
    const t = await start();
    await loginFrom(t.app, 'a wrong guess');
    expect(await rowsOf(t, 'login_attempts')).toBeGreaterThan(0);
    const later = await t.twin(() => NOW + 60 * 60_000);
    try {
      await vi.waitFor(async () => expect(await rowsOf(t, 'login_attempts')).toBe(0));
    } finally {
      await later.close();
    }
  });
});
