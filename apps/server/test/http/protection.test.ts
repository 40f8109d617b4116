import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { AnswerCache } from '../../src/services/answer-cache.js';
import type { ServiceContext } from '../../src/services/context.js';
import {
  anonymously,
  asAdmin,
  loginAs,
  NOW,
  startTestApp,
  TEST_ADMIN_TOKEN,
  type TestApp,
} from '../support/app.js';

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const login = { email: 'nobody@example.com', password: 'wrong password' };

describe('what one request may ask for, and what the kept answers may hold', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('refuses a mentors page whose mentors × window days exceed the bound, naming limit', async () => {
    const from = NOW + DAY;
    const month = await t.api.get(
      `/api/mentors?limit=200&from=${iso(from)}&to=${iso(from + 31 * DAY - 60_000)}`,
    );
    expect(month.status).toBe(400);
    expect(month.body.code).toBe('invalid_request');
    expect(month.body.errors[0].path).toBe('/limit');
    expect(month.body.detail).toMatch(/limit=200 the window may span 8 days/);
    // The defaults (50 mentors, 7 days), a full page over a week and the default page over 31 days stay allowed.
    expect((await t.api.get('/api/mentors')).status).toBe(200);
    expect((await t.api.get('/api/mentors?limit=200')).status).toBe(200);
    const allowed = await t.api.get(`/api/mentors?from=${iso(from)}&to=${iso(from + 31 * DAY)}`);
    expect(allowed.status).toBe(200);
  });

  it('refuses query parameters named like what every object inherits', async () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const response = await t.api.get(`/api/mentors?${name}=1`);
      expect([response.status, response.body.errors?.[0]?.path]).toEqual([400, `/${name}`]);
    }
  });

  it('refuses the same page on tRPC', async () => {
    const from = NOW + DAY;
    const input = encodeURIComponent(
      JSON.stringify({ limit: 200, from: iso(from), to: iso(from + 31 * DAY - 60_000) }),
    );
    const response = await t.app.inject({ url: `/trpc/mentors.list?input=${input}` });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.data.appCode).toBe('invalid_request');
  });

  it('keeps answers within a byte budget, whatever their number and size', async () => {
    const budget = 1024 * 1024;
    const cache = new AnswerCache(budget);
    const ctx = { now: () => NOW, db: { dataVersion: async () => 'v1' } } as unknown as ServiceContext;
    for (let request = 0; request < 200; request += 1) {
      // Each answer is 1,500 slot times (about 200 KB on the heap with its encoded copies), under a
      // key of its own, as distinct windows give.
      const answer = { items: Array.from({ length: 1500 }, (_, index) => iso(NOW + index * 60_000)) };
      await cache.through(ctx, `mentors.list ${request}`, async () => answer);
      expect(cache.keptBytes).toBeLessThanOrEqual(budget);
    }
    expect(cache.keptBytes).toBeGreaterThan(budget / 2);
  });
});

describe('the credential rate limit counts every call of a credential operation', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ AUTH_RATE_LIMIT_MAX: '3', TRUST_PROXY: 'true' });
  });
  afterAll(() => t.close());

  let client = 0;
  /** A client of its own for each test, behind the one trusted proxy (10.0.0.1). */
  const nextClient = () => `198.51.100.${++client}`;
  // Each client guesses at an email of its own: the per-email lock is another mechanism.
  const loginOf = (clientAddress: string) => ({ ...login, email: `someone-${clientAddress}@example.com` });
  const post = (
    url: string,
    clientAddress: string,
    payload: unknown = loginOf(clientAddress),
    forwardedFor?: string,
  ) =>
    t.app.inject({
      method: 'POST',
      url,
      payload: payload as object,
      remoteAddress: '10.0.0.1',
      headers: { 'x-forwarded-for': forwardedFor ?? clientAddress },
    });

  it.each([
    ['a trailing slash', '/api/auth/login/'],
    ['a percent-encoded letter', '/api/auth/log%69n'],
  ])('spends the login budget through %s', async (_spelling, url) => {
    const address = nextClient();
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      statuses.push((await post('/api/auth/login', address)).statusCode);
    }
    statuses.push((await post(url, address)).statusCode);
    expect(statuses).toEqual([401, 401, 401, 429]);
  });

  it('counts each login of a tRPC batch, also behind another procedure', async () => {
    const address = nextClient();
    const batch = Object.fromEntries(
      Array.from({ length: 5 }, (_, index) => [String(index), loginOf(address)]),
    );
    const response = await post(
      '/trpc/auth.logout,auth.login,auth.login,auth.login,auth.login?batch=1',
      address,
      batch,
    );
    expect(response.statusCode).toBe(429);
    expect(response.headers['retry-after']).toMatch(/^\d+$/);
    // Nothing of the batch ran, and the address has spent its budget on it.
    expect((await post('/api/auth/login', address)).statusCode).toBe(429);
  });

  it('refuses procedure names left percent-encoded, which tRPC would decode once more', async () => {
    const address = nextClient();
    const single = await post('/trpc/auth%252Elogin', address);
    expect(single.statusCode).toBe(400);
    expect(single.json().error.data.appCode).toBe('invalid_request');
    const batch = await post('/trpc/auth.login%252Cauth.register?batch=1', address, {
      0: loginOf(address),
      1: loginOf(address),
    });
    expect(batch.statusCode).toBe(400);
    // Neither spent the budget, nor ran a login.
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 4; attempt += 1) {
      statuses.push((await post('/api/auth/login', address)).statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
  });

  it('counts an IPv6 client as its /64, and a forwarded entry that is no address as the proxy itself', async () => {
    const fromSubnet = (host: number) =>
      t.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email: 'someone-on-ipv6@example.com', password: 'wrong password' },
        remoteAddress: '10.0.0.1',
        headers: { 'x-forwarded-for': `2001:db8:1:2::${host.toString(16)}` },
      });
    const statuses: number[] = [];
    for (let host = 1; host <= 4; host += 1) statuses.push((await fromSubnet(host)).statusCode);
    expect(statuses).toEqual([401, 401, 401, 429]);
    const spoofed = (value: string) => post('/api/auth/login', nextClient(), undefined, value);
    const junk = await Promise.all(['not-an-address', 'x'.repeat(300), '<script>'].map(spoofed));
    expect(junk.map((response) => response.statusCode)).toEqual([401, 401, 401]);
  });

  it('refuses a tRPC batch of more calls than a batch may carry', async () => {
    const calls = Array.from({ length: 17 }, () => 'areas.list').join(',');
    const response = await t.app.inject({ url: `/trpc/${calls}?batch=1&input={}` });
    expect(response.statusCode).toBe(400);
    const sixteen = Array.from({ length: 16 }, () => 'areas.list').join(',');
    expect((await t.app.inject({ url: `/trpc/${sixteen}?batch=1&input={}` })).statusCode).toBe(200);
  });

  it('takes the client as the trusted proxy saw it, not the left-most forwarded address', async () => {
    const address = nextClient();
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const spoofed = `203.0.113.${attempt + 1}, ${address}`;
      statuses.push((await post('/api/auth/login', address, loginOf(address), spoofed)).statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });

  it('leaves other operations to the overall limit', async () => {
    const address = nextClient();
    for (let attempt = 0; attempt < 4; attempt += 1) {
      expect((await post('/api/auth/login', address)).statusCode).toBe(attempt < 3 ? 401 : 429);
    }
    const areas = await t.app.inject({
      url: '/api/areas',
      remoteAddress: '10.0.0.1',
      headers: { 'x-forwarded-for': address },
    });
    expect(areas.statusCode).toBe(200);
  });
});

describe('TRUST_PROXY', () => {
  it.each([
    ['false', false],
    ['true', 1],
    ['2', 2],
    ['10.0.0.1, 10.1.0.0/16', ['10.0.0.1', '10.1.0.0/16']],
  ])('reads %s', (value, trust) => {
    expect(loadConfig({ TRUST_PROXY: value }).trustProxy).toEqual(trust);
  });

  it('refuses what is neither a count nor addresses', () => {
    expect(() => loadConfig({ TRUST_PROXY: 'loadbalancer' })).toThrow(/TRUST_PROXY/);
  });

  it('believes only the listed proxies', async () => {
    const t = await startTestApp({ TRUST_PROXY: '10.0.0.1' });
    try {
      const seen: string[] = [];
      t.app.addHook('onRequest', async (request) => {
        seen.push(request.ip);
      });
      await t.app.inject({
        url: '/api/health',
        remoteAddress: '10.0.0.1',
        headers: { 'x-forwarded-for': '1.2.3.4, 198.51.100.9' },
      });
      await t.app.inject({
        url: '/api/health',
        remoteAddress: '10.9.9.9',
        headers: { 'x-forwarded-for': '198.51.100.9' },
      });
      expect(seen).toEqual(['198.51.100.9', '10.9.9.9']);
    } finally {
      await t.close();
    }
  });
});

describe('answers to browsers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ CORS_ORIGINS: 'https://app.example.com', TRUST_PROXY: '1' });
  });
  afterAll(() => t.close());

  it('lets a browser PATCH and PUT across origins', async () => {
    for (const method of ['PATCH', 'PUT', 'DELETE']) {
      const preflight = await t.app.inject({
        method: 'OPTIONS',
        url: '/api/mentors/1',
        headers: {
          origin: 'https://app.example.com',
          'access-control-request-method': method,
          'access-control-request-headers': 'authorization, content-type',
        },
      });
      expect(preflight.statusCode).toBe(204);
      expect(String(preflight.headers['access-control-allow-methods'])).toContain(method);
    }
  });

  it('lets a browser read Link, Retry-After and x-request-id', async () => {
    const response = await t.app.inject({
      url: '/api/mentors?limit=1',
      headers: { origin: 'https://app.example.com' },
    });
    const exposed = String(response.headers['access-control-expose-headers']).toLowerCase();
    for (const header of ['link', 'retry-after', 'x-request-id']) expect(exposed).toContain(header);
  });

  it('asks browsers to upgrade to https only when the request came over https', async () => {
    const plain = await t.app.inject({ url: '/api/areas' });
    expect(plain.headers['content-security-policy']).toBeDefined();
    expect(plain.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    const overTls = await t.app.inject({ url: '/api/areas', headers: { 'x-forwarded-proto': 'https' } });
    expect(overTls.headers['content-security-policy']).toContain('upgrade-insecure-requests');
  });

  it('serves the reference at /docs with a policy that works over plain HTTP on any host', async () => {
    const docs = await t.app.inject({ url: '/docs/', headers: { host: 'scheduling.internal:5000' } });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-security-policy']).toContain("script-src 'self'");
    expect(docs.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
  });

  it('keeps Vary: Origin on tRPC answers, whose own Vary would replace it', async () => {
    const answer = await t.app.inject({
      url: '/trpc/areas.list',
      headers: { origin: 'https://app.example.com' },
    });
    expect(answer.statusCode).toBe(200);
    expect(String(answer.headers.vary).toLowerCase()).toContain('origin');
  });

  it('answers an unreadable Host with 400 on every door, in tRPC’s envelope on tRPC, never 500', async () => {
    for (const host of ['a b', '[x', 'example.com/path']) {
      const read = await t.app.inject({ url: '/trpc/areas.list', headers: { host } });
      const write = await t.app.inject({
        method: 'POST',
        url: '/trpc/auth.logout',
        headers: { host, ...asAdmin, 'content-type': 'application/json' },
        payload: '{}',
      });
      for (const answer of [read, write]) {
        expect([answer.statusCode, answer.json().error.data.appCode]).toEqual([400, 'invalid_request']);
      }
      const rest = await t.app.inject({ url: '/api/areas', headers: { host } });
      expect([rest.statusCode, rest.json().code]).toEqual([400, 'invalid_request']);
    }
    const usual = await t.app.inject({ url: '/api/areas', headers: { host: 'Scheduling.Example.com:5000' } });
    expect(usual.statusCode).toBe(200);
  });

  it('forbids storing answers that carry a token or personal data, not the public catalogue', async () => {
    const loggedIn = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'aarav.sharma@example.com', password: 'demo-password' },
    });
    expect(loggedIn.statusCode).toBe(200);
    expect(loggedIn.headers['cache-control']).toBe('no-store');
    const bookings = await t.app.inject({ url: '/api/bookings', headers: asAdmin });
    expect(bookings.headers['cache-control']).toBe('no-store');
    const me = await t.app.inject({ url: '/trpc/areas.list,auth.me?batch=1&input={}', headers: asAdmin });
    expect(me.headers['cache-control']).toBe('no-store');
    const areas = await t.app.inject({ url: '/api/areas' });
    expect(areas.headers['cache-control']).toBeUndefined();
    const headOfBookings = await t.app.inject({ method: 'HEAD', url: '/api/bookings', headers: asAdmin });
    expect(headOfBookings.headers['cache-control']).toBe('no-store');
    const unknownInBatch = await t.app.inject({ url: '/trpc/areas.list,no.such?batch=1&input={}' });
    expect(unknownInBatch.headers['cache-control']).toBe('no-store');
  });
});

describe('answers Fastify and Node make before routing', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.server.address() as AddressInfo).port;
  });
  afterAll(() => t.close());

  const expectProblem = (headers: Record<string, unknown>, body: string, status: number, code: string) => {
    expect(headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['content-security-policy']).toBeDefined();
    const problem = JSON.parse(body);
    expect(problem).toMatchObject({ status, code });
    return problem;
  };

  it('answers a path that is not valid percent-encoding with a problem document', async () => {
    const response = await t.app.inject({ url: '/api/mentors/%E0%A4%A' });
    expect(response.statusCode).toBe(400);
    expectProblem(response.headers, response.body, 400, 'invalid_request');
  });

  it('answers an over-long path segment with a problem document that does not echo it', async () => {
    const segment = '9'.repeat(600);
    const response = await t.app.inject({ url: `/api/mentors/${segment}` });
    expect(response.statusCode).toBe(414);
    expectProblem(response.headers, response.body, 414, 'uri_too_long');
    expect(response.body).not.toContain(segment);
  });

  /** Sends raw bytes on a new connection and answers what came back before the server closed it. */
  const rawExchange = (bytes: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let received = '';
      socket.on('data', (chunk) => {
        received += chunk.toString();
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(received));
      socket.write(bytes);
    });
  const parse = (raw: string) => {
    const [head = '', body = ''] = raw.split('\r\n\r\n');
    const [statusLine = '', ...lines] = head.split('\r\n');
    const headers = Object.fromEntries(
      lines.map((line) => [
        line.slice(0, line.indexOf(':')).toLowerCase(),
        line.slice(line.indexOf(':') + 1).trim(),
      ]),
    );
    return { status: Number(statusLine.split(' ')[1]), headers, body };
  };

  it('answers malformed HTTP with a problem document', async () => {
    const answer = parse(await rawExchange('THIS IS NOT HTTP\r\n\r\n'));
    expect(answer.status).toBe(400);
    expectProblem(answer.headers, answer.body, 400, 'invalid_request');
  });

  it('answers oversized headers (a long tRPC input in the URL) with a problem document', async () => {
    const input = encodeURIComponent(JSON.stringify({ area_of_expertise: 'x'.repeat(20_000) }));
    const answer = parse(
      await rawExchange(`GET /trpc/mentors.list?input=${input} HTTP/1.1\r\nHost: x\r\n\r\n`),
    );
    expect(answer.status).toBe(431);
    expectProblem(answer.headers, answer.body, 431, 'headers_too_large');
  });
});

describe('the demo accounts', () => {
  const lines: string[] = [];
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });

  /** A production server started on a test app's database. */
  const startedInProductionOn = (t: TestApp) =>
    buildApp(
      loadConfig({
        NODE_ENV: 'production',
        ...t.databaseEnv,
        ADMIN_TOKEN: TEST_ADMIN_TOKEN,
        PASSWORD_SCRYPT_LOG2N: '10',
      }),
    );

  it('keep a production start refused while any of them is left, the admin deleted or not', async () => {
    const t = await startTestApp({ LOG_LEVEL: 'silent' });
    try {
      await t.app.db.knex('accounts').where('email_normalized', 'admin@example.com').delete();
      await expect(startedInProductionOn(t)).rejects.toThrow(/demo accounts/);
    } finally {
      await t.close();
    }
  });

  it('exist outside production, announced loudly at every start', async () => {
    const t = await startTestApp({ LOG_LEVEL: 'warn' }, () => NOW, logStream);
    try {
      await loginAs(t.api, 'admin@example.com');
      expect(lines.some((line) => line.includes('DEMO ACCOUNTS EXIST'))).toBe(true);
      // The same database started as production is refused: anyone could log in as its admin.
      await expect(startedInProductionOn(t)).rejects.toThrow(/demo accounts/);
    } finally {
      await t.close();
    }
  });

  it('are never created in production, while the demo catalogue is', async () => {
    const t = await startTestApp({ NODE_ENV: 'production', LOG_LEVEL: 'silent' });
    try {
      expect((await t.api.get('/api/mentors?limit=1', anonymously)).body).toHaveLength(1);
      const response = await t.api.post(
        '/api/auth/login',
        { email: 'admin@example.com', password: 'demo-password' },
        anonymously,
      );
      expect(response.status).toBe(401);
    } finally {
      await t.close();
    }
  });
});
