/**
 * GET /metrics (issue 17): what a Prometheus scrape of the real app reads, parsed from the text
 * format, with counters checked to move by exactly the calls made, on REST and tRPC alike.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { histogramQuantile, parseExposition, type Sample, sumOf } from '../../src/metrics/exposition.js';
import {
  asAdmin,
  booking,
  callTrpc,
  dbClient,
  demo,
  NOW,
  startTestApp,
  type TestApp,
} from '../support/app.js';
import { startWebhookReceiver } from '../support/notification-peers.js';
import {
  type PaymentsTestApp,
  sessionOfCheckout,
  startPaymentsApp,
  TEST_WEBHOOK_SECRET,
  testClock,
} from '../support/payments.js';

const METRICS_TOKEN = 'metrics-token-for-the-suite-0123';
const scraper = { authorization: `Bearer ${METRICS_TOKEN}` };
const MINUTE = 60_000;
const REQUESTS = 'mentor_scheduling_http_requests_total';
const DURATION = 'mentor_scheduling_http_request_duration_seconds';
const BOOKINGS = 'mentor_scheduling_bookings_total';

async function scrape(t: TestApp, headers: Record<string, string> = scraper): Promise<Sample[]> {
  const response = await t.app.inject({ method: 'GET', url: '/metrics', headers });
  expect(response.statusCode, response.body).toBe(200);
  return parseExposition(response.body);
}

function requestsOf(samples: Sample[], operation: string, surface: 'rest' | 'trpc', status: number): number {
  return sumOf(samples, REQUESTS, { operation, surface, status: String(status) });
}

/** How much each labelled counter moved between two scrapes; only those that moved. */
function movedBetween(before: Sample[], after: Sample[], name: string): Record<string, number> {
  const key = (sample: Sample) =>
    Object.entries(sample.labels)
      .map(([label, value]) => `${label}=${value}`)
      .join(',');
  const earlier = new Map(before.filter((s) => s.name === name).map((s) => [key(s), s.value]));
  const moved: Record<string, number> = {};
  for (const sample of after.filter((s) => s.name === name)) {
    const delta = sample.value - (earlier.get(key(sample)) ?? 0);
    if (delta !== 0) moved[key(sample)] = delta;
  }
  return moved;
}

describe('GET /metrics with METRICS_TOKEN set', () => {
  let t: TestApp;
  beforeAll(async () => {
    // No dispatcher: its writes would renew kept answers at moments a test cannot choose.
    t = await startTestApp({ METRICS_TOKEN, OUTBOX_DISPATCHER: 'off' });
  });
  afterAll(() => t.close());

  it('asks for the metrics token as a bearer token, like the rest of the API asks for its own', async () => {
    const missing = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['content-type']).toContain('application/problem+json');
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="metrics"');
    expect(missing.json()).toMatchObject({ status: 401, code: 'unauthenticated', instance: '/metrics' });

    for (const authorization of [`Bearer ${METRICS_TOKEN}x`, asAdmin.authorization, 'Bearer short']) {
      const wrong = await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization } });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.headers['www-authenticate']).toBe('Bearer realm="metrics", error="invalid_token"');
    }
    const basic = await t.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Basic ${Buffer.from(`x:${METRICS_TOKEN}`).toString('base64')}` },
    });
    expect(basic.statusCode).toBe(401);

    const accepted = await t.app.inject({ method: 'GET', url: '/metrics', headers: scraper });
    expect(accepted.statusCode).toBe(200);
    expect(accepted.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(accepted.headers['cache-control']).toBe('no-store');
    expect(accepted.body).toMatch(/^# HELP /m);
  });

  it('counts REST and tRPC calls of one operation under the same label, each with its status', async () => {
    const before = await scrape(t);
    for (let call = 0; call < 3; call += 1) expect((await t.api.get('/api/areas')).status).toBe(200);
    expect((await callTrpc(t.app, 'query', 'areas.list', undefined)).status).toBe(200);
    expect((await callTrpc(t.app, 'query', 'areas.list', undefined)).status).toBe(200);
    // A mentor that does not exist: 404 on both doors.
    expect((await t.api.get('/api/mentors/99999')).status).toBe(404);
    expect((await callTrpc(t.app, 'query', 'mentors.get', { id: 99999 })).status).toBe(404);
    // One booking made on each door, then the same slot refused on each (409).
    const slot = booking({ start_time: '2026-12-03T19:00:00' });
    expect((await t.api.post('/api/bookings', slot)).status).toBe(201);
    expect((await t.api.post('/api/bookings', slot)).status).toBe(409);
    const other = booking({ start_time: '2026-12-03T20:00:00' });
    expect((await callTrpc(t.app, 'mutation', 'bookings.create', other)).status).toBe(200);
    expect((await callTrpc(t.app, 'mutation', 'bookings.create', other)).status).toBe(409);

    const after = await scrape(t);
    expect(movedBetween(before, after, REQUESTS)).toEqual({
      'operation=areas.list,surface=rest,status=200': 3,
      'operation=areas.list,surface=trpc,status=200': 2,
      'operation=mentors.get,surface=rest,status=404': 1,
      'operation=mentors.get,surface=trpc,status=404': 1,
      'operation=bookings.create,surface=rest,status=201': 1,
      'operation=bookings.create,surface=rest,status=409': 1,
      'operation=bookings.create,surface=trpc,status=200': 1,
      'operation=bookings.create,surface=trpc,status=409': 1,
    });
    // The latency histogram counts the same calls, in cumulative buckets that end at +Inf.
    const labels = { operation: 'bookings.create', surface: 'rest', status: '201' };
    const count = sumOf(after, `${DURATION}_count`, labels) - sumOf(before, `${DURATION}_count`, labels);
    expect(count).toBe(1);
    expect(sumOf(after, `${DURATION}_sum`, labels)).toBeGreaterThan(0);
    const buckets = after.filter(
      (s) => s.name === `${DURATION}_bucket` && s.labels.operation === 'areas.list',
    );
    const restBuckets = buckets.filter((s) => s.labels.surface === 'rest').map((s) => s.value);
    expect(restBuckets).toEqual([...restBuckets].sort((a, b) => a - b));
    expect(buckets.find((s) => s.labels.surface === 'rest' && s.labels.le === '+Inf')?.value).toBe(
      requestsOf(after, 'areas.list', 'rest', 200),
    );
  });

  it('counts each call of a tRPC batch under its own operation and status', async () => {
    const before = await scrape(t);
    const input = encodeURIComponent(JSON.stringify({ 1: { id: 99999 }, 2: { id: demo.rohan } }));
    const batch = await t.app.inject({
      method: 'GET',
      url: `/trpc/areas.list,bookings.get,mentors.get?batch=1&input=${input}`,
      headers: asAdmin,
    });
    expect(batch.statusCode).toBe(207);
    // The plugin's answer to a batch with a procedure it does not know; the known ones still count.
    const unknown = await t.app.inject({ method: 'GET', url: '/trpc/areas.list,no.such?batch=1' });
    expect(unknown.statusCode).toBe(207);
    // Larger than a batch may be: refused whole before any call runs, counted once.
    const names = Array.from({ length: 17 }, () => 'areas.list').join(',');
    expect((await t.app.inject({ method: 'GET', url: `/trpc/${names}?batch=1` })).statusCode).toBe(400);

    expect(movedBetween(before, await scrape(t), REQUESTS)).toEqual({
      'operation=areas.list,surface=trpc,status=200': 2,
      'operation=bookings.get,surface=trpc,status=404': 1,
      'operation=mentors.get,surface=trpc,status=200': 1,
      'operation=none,surface=trpc,status=404': 1,
      'operation=none,surface=trpc,status=400': 1,
    });
  });

  it('labels what matches no operation "none", never with the path it asked for', async () => {
    const before = await scrape(t);
    expect((await t.app.inject({ method: 'GET', url: '/api/no-such-thing-7f3a' })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: '/api/areas' })).statusCode).toBe(405);
    expect((await t.app.inject({ method: 'GET', url: '/trpc/no-such-procedure-7f3a' })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).statusCode).toBe(200);
    const after = await scrape(t);
    expect(movedBetween(before, after, REQUESTS)).toEqual({
      'operation=none,surface=rest,status=404': 1,
      'operation=none,surface=rest,status=405': 1,
      'operation=none,surface=trpc,status=404': 1,
      'operation=none,surface=rest,status=200': 1,
    });
    const labelValues = after.flatMap((sample) => Object.values(sample.labels));
    expect(labelValues.filter((value) => value.includes('7f3a') || value.includes('/'))).toEqual([]);
  });

  it('is not part of the API: absent from the OpenAPI document, no other method, its scrapes not counted', async () => {
    const document = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    expect(Object.keys(document.paths).filter((path) => path.includes('metrics'))).toEqual([]);
    const post = await t.app.inject({ method: 'POST', url: '/metrics', headers: scraper });
    expect([post.statusCode, post.json().code]).toEqual([404, 'route_not_found']);

    const before = await scrape(t);
    await scrape(t);
    const after = await scrape(t);
    expect(sumOf(after, REQUESTS) - sumOf(before, REQUESTS)).toBe(0);
  });

  it('counts bookings made, rescheduled and cancelled once each, through either door', async () => {
    const before = await scrape(t);
    const made = await t.api.post('/api/bookings', booking({ start_time: '2026-12-04T19:00:00' }));
    expect(made.status).toBe(201);
    const id = made.body.booking_id;
    const moved = await t.api.post(`/api/bookings/${id}/reschedule`, { start_time: '2026-12-04T20:00:00' });
    expect(moved.status).toBe(200);
    // A move to the time it already has changes nothing, and is not counted.
    const same = await t.api.post(`/api/bookings/${id}/reschedule`, { start_time: '2026-12-04T20:00:00' });
    expect(same.status).toBe(200);
    expect((await callTrpc(t.app, 'mutation', 'bookings.cancel', { id })).status).toBe(200);
    // Cancelling it again is refused: nothing more is counted.
    expect((await t.api.post(`/api/bookings/${id}/cancel`, {})).status).toBe(409);

    expect(movedBetween(before, await scrape(t), BOOKINGS)).toEqual({
      'change=made': 1,
      'change=rescheduled': 1,
      'change=cancelled': 1,
    });
  });

  it('times the computation of open slots, and not the kept answers reused', async () => {
    const count = (samples: Sample[], search: string) =>
      sumOf(samples, 'mentor_scheduling_slot_computation_seconds_count', { search });
    const before = await scrape(t);
    const search =
      '/api/slots?area_of_expertise=FMCG%20Sales&from=2026-12-07T00:00:00Z&to=2026-12-08T00:00:00Z';
    expect((await t.api.get(search)).status).toBe(200);
    expect((await t.api.get(search)).status).toBe(200);
    expect((await t.api.get('/api/mentors?area_of_expertise=FMCG%20Sales&duration=45')).status).toBe(200);
    const after = await scrape(t);
    // The same search again within the minute and data version reuses the kept answer.
    expect(count(after, 'slots.search') - count(before, 'slots.search')).toBe(1);
    expect(count(after, 'mentors.list') - count(before, 'mentors.list')).toBe(1);
    expect(histogramQuantile(after, 'mentor_scheduling_slot_computation_seconds', 0.99)).toBeGreaterThan(0);
  });

  it('shows the database pool and how long writes waited for their turn', async () => {
    const before = await scrape(t);
    expect((await t.api.post('/api/bookings', booking({ start_time: '2026-12-08T19:00:00' }))).status).toBe(
      201,
    );
    const after = await scrape(t);
    const maxConnections = sumOf(after, 'mentor_scheduling_db_pool_max_connections');
    // SQLite: the writer's connection and two readers'; PostgreSQL: DB_POOL_MAX (10 by default).
    expect(maxConnections).toBe(dbClient === 'pg' ? 10 : 3);
    const used = sumOf(after, 'mentor_scheduling_db_pool_connections', { state: 'used' });
    const free = sumOf(after, 'mentor_scheduling_db_pool_connections', { state: 'free' });
    expect(used + free).toBeLessThanOrEqual(maxConnections);
    expect(sumOf(after, 'mentor_scheduling_db_pool_pending_acquires')).toBe(0);
    // better-sqlite3 books in a group commit; the others in a transaction of their own.
    const kind = dbClient === 'better-sqlite3' ? 'group_commit' : 'transaction';
    const waits = (samples: Sample[]) =>
      sumOf(samples, 'mentor_scheduling_db_write_wait_seconds_count', { kind });
    expect(waits(after) - waits(before)).toBeGreaterThanOrEqual(1);
  });

  it("reports the process's event-loop delay, memory and CPU", async () => {
    const samples = await scrape(t);
    for (const quantile of ['0.5', '0.9', '0.99', '1']) {
      const lag = samplesOfName(samples, 'nodejs_eventloop_lag_seconds').find(
        (s) => s.labels.quantile === quantile,
      );
      expect(lag?.value).toBeGreaterThanOrEqual(0);
    }
    expect(sumOf(samples, 'process_resident_memory_bytes')).toBeGreaterThan(10 * 1024 * 1024);
    expect(sumOf(samples, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(sumOf(samples, 'process_cpu_seconds_total')).toBeGreaterThan(0);
  });
});

function samplesOfName(samples: Sample[], name: string): Sample[] {
  return samples.filter((sample) => sample.name === name);
}

describe('GET /metrics and the rate limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ METRICS_TOKEN, RATE_LIMIT_MAX: '3' });
  });
  afterAll(() => t.close());

  it('answers a scraper whose address has used up its request budget, and counts the refusals', async () => {
    const statuses: number[] = [];
    for (let call = 0; call < 5; call += 1)
      statuses.push((await t.app.inject({ url: '/api/areas' })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    for (let scrapeNumber = 0; scrapeNumber < 10; scrapeNumber += 1) {
      const samples = await scrape(t);
      expect(requestsOf(samples, 'areas.list', 'rest', 200)).toBe(3);
      expect(requestsOf(samples, 'areas.list', 'rest', 429)).toBe(2);
    }
    // The budget is still spent for the API itself.
    expect((await t.app.inject({ url: '/api/areas' })).statusCode).toBe(429);
  });
});

describe('GET /metrics without METRICS_TOKEN', () => {
  it('is open, and a production server says so when it starts', async () => {
    const lines: string[] = [];
    const logs = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    const production = { NODE_ENV: 'production', SEED_DEMO: 'false', LOG_LEVEL: 'warn' };
    const open = await startTestApp(production, () => NOW, logs);
    try {
      const samples = await scrape(open, {});
      expect(sumOf(samples, 'mentor_scheduling_database_up')).toBe(1);
      const warnings = lines.map((line) => JSON.parse(line)).filter((line) => line.event === 'metrics_open');
      expect(warnings).toHaveLength(1);
      expect(warnings[0].msg).toMatch(/METRICS_TOKEN is not set/);
    } finally {
      await open.close();
    }

    lines.length = 0;
    const guarded = await startTestApp({ ...production, METRICS_TOKEN }, () => NOW, logs);
    try {
      expect(lines.map((line) => JSON.parse(line)).filter((line) => line.event === 'metrics_open')).toEqual(
        [],
      );
    } finally {
      await guarded.close();
    }
  });

  it('refuses a METRICS_TOKEN too short to be a secret, in one line that names it', () => {
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(
      /^Invalid configuration: METRICS_TOKEN: must be at least 16 characters/,
    );
    expect(() => loadConfig({ METRICS_TOKEN: 'sixteen chars but spaced' })).toThrow(/METRICS_TOKEN/);
  });
});

describe('the outbox on /metrics', () => {
  it('shows the age of the oldest message not yet delivered, growing while nothing sends it', async () => {
    const clock = testClock();
    // No dispatcher in this process: the event of a booking waits, as when every dispatcher is down.
    const t = await startTestApp({ METRICS_TOKEN, OUTBOX_DISPATCHER: 'off' }, clock);
    try {
      const lag = async () => sumOf(await scrape(t), 'mentor_scheduling_outbox_lag_seconds');
      expect(await lag()).toBe(0);
      expect((await t.api.post('/api/bookings', booking({ start_time: '2026-12-09T19:00:00' }))).status).toBe(
        201,
      );
      expect(await lag()).toBe(0);
      clock.advance(90_000);
      expect(await lag()).toBe(90);
      clock.advance(10 * MINUTE);
      expect(await lag()).toBe(690);
      expect(sumOf(await scrape(t), 'mentor_scheduling_outbox_dead_letters')).toBe(0);
    } finally {
      await t.close();
    }
  });

  it('counts failed deliveries by channel, and the dead letter the last one leaves', async () => {
    const clock = testClock();
    const receiver = await startWebhookReceiver();
    const t = await startTestApp(
      { METRICS_TOKEN, OUTBOX_POLL_MS: '20', OUTBOX_RETRY_BASE_MS: '20', OUTBOX_MAX_ATTEMPTS: '2' },
      clock,
    );
    try {
      const subscribed = await t.api.post('/api/webhooks', {
        url: receiver.url,
        events: ['booking.confirmed'],
      });
      expect(subscribed.status).toBe(201);
      receiver.failNext(Number.POSITIVE_INFINITY);
      expect((await t.api.post('/api/bookings', booking({ start_time: '2026-12-09T20:00:00' }))).status).toBe(
        201,
      );
      const failures = (samples: Sample[], result: string) =>
        sumOf(samples, 'mentor_scheduling_outbox_delivery_failures_total', { channel: 'webhook', result });
      const deadLetters = (samples: Sample[]) => sumOf(samples, 'mentor_scheduling_outbox_dead_letters');
      const deadline = performance.now() + 10_000;
      let samples = await scrape(t);
      // Until the last try is counted and its dead letter is written down (a moment later).
      while (failures(samples, 'dead_letter') === 0 || deadLetters(samples) === 0) {
        if (performance.now() > deadline) throw new Error('the delivery never became a dead letter');
        // The retry is due a backoff after the first failure, on the app's clock.
        if (failures(samples, 'will_retry') > 0 && failures(samples, 'dead_letter') === 0)
          clock.advance(MINUTE);
        await new Promise((resolve) => setTimeout(resolve, 20));
        samples = await scrape(t);
      }
      samples = await scrape(t);
      expect(failures(samples, 'will_retry')).toBe(1);
      expect(failures(samples, 'dead_letter')).toBe(1);
      expect(sumOf(samples, 'mentor_scheduling_outbox_delivery_failures_total', { channel: 'email' })).toBe(
        0,
      );
      expect(sumOf(samples, 'mentor_scheduling_outbox_dead_letters')).toBe(1);
      // A dead letter is not due: it no longer counts as lag.
      expect(sumOf(samples, 'mentor_scheduling_outbox_lag_seconds')).toBe(0);
    } finally {
      await t.close();
      await receiver.close();
    }
  });

  it('still answers when the database is too busy to answer or gone, leaving out what only it knows', async () => {
    const t = await startTestApp({ METRICS_TOKEN, OUTBOX_DISPATCHER: 'off' });
    try {
      // Every connection of the pool lent out and kept: the scrape's own reads wait for one in vain.
      const client = t.app.db.knex.client as {
        acquireConnection(): Promise<unknown>;
        releaseConnection(connection: unknown): Promise<void>;
      };
      const poolSize = sumOf(await scrape(t), 'mentor_scheduling_db_pool_max_connections');
      const held = await Promise.all(Array.from({ length: poolSize }, () => client.acquireConnection()));
      let started = performance.now();
      let samples = await scrape(t);
      // The database's share of a scrape is bounded (1 s), far below a scraper's timeout.
      expect(performance.now() - started).toBeGreaterThanOrEqual(900);
      expect(performance.now() - started).toBeLessThan(3000);
      expect(sumOf(samples, 'mentor_scheduling_database_up')).toBe(0);
      expect(samplesOfName(samples, 'mentor_scheduling_outbox_lag_seconds')).toEqual([]);
      expect(samplesOfName(samples, 'mentor_scheduling_outbox_dead_letters')).toEqual([]);
      expect(sumOf(samples, 'mentor_scheduling_db_pool_connections', { state: 'used' })).toBe(poolSize);
      for (const connection of held) await client.releaseConnection(connection);
      samples = await scrape(t);
      expect(sumOf(samples, 'mentor_scheduling_database_up')).toBe(1);
      expect(sumOf(samples, 'mentor_scheduling_outbox_lag_seconds')).toBe(0);

      await t.app.db.knex.destroy();
      started = performance.now();
      samples = await scrape(t);
      expect(performance.now() - started).toBeLessThan(1000);
      expect(sumOf(samples, 'mentor_scheduling_database_up')).toBe(0);
      expect(samplesOfName(samples, 'mentor_scheduling_outbox_lag_seconds')).toEqual([]);
      expect(samplesOfName(samples, 'mentor_scheduling_db_pool_max_connections')).toEqual([]);
    } finally {
      await t.close();
    }
  });
});

describe('payment webhooks on /metrics', () => {
  let p: PaymentsTestApp;
  beforeAll(async () => {
    p = await startPaymentsApp({ METRICS_TOKEN });
  });
  afterAll(() => p.close());

  const webhooks = (samples: Sample[]) =>
    Object.fromEntries(
      samplesOfName(samples, 'mentor_scheduling_payment_webhooks_total')
        .filter((sample) => sample.value > 0)
        .map((sample) => [sample.labels.outcome, sample.value]),
    );

  it('counts each delivery by its outcome, and the holds a checkout that ended unpaid let go', async () => {
    const held = async (start: string) => {
      const made = await p.t.api.post('/api/bookings', booking({ start_time: start }));
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      return sessionOfCheckout(p.stand, made.body.payment.checkout_url);
    };
    const paid = p.stand.pay((await held('2026-12-10T19:00:00')).id);
    expect((await p.deliver('checkout.session.completed', paid, { id: 'evt_metrics_paid' })).json()).toEqual({
      received: true,
      outcome: 'applied',
    });
    expect((await p.deliver('checkout.session.completed', paid, { id: 'evt_metrics_paid' })).json()).toEqual({
      received: true,
      outcome: 'duplicate',
    });
    const forged = await p.deliver('checkout.session.completed', paid, { secret: `${TEST_WEBHOOK_SECRET}x` });
    expect(forged.statusCode).toBe(400);
    expect((await p.deliver('customer.created', { id: 'cus_1' })).json().outcome).toBe('ignored');
    const unpaid = p.stand.expire((await held('2026-12-10T20:00:00')).id);
    expect((await p.deliver('checkout.session.expired', unpaid)).json().outcome).toBe('applied');

    const samples = await scrape(p.t);
    expect(webhooks(samples)).toEqual({ applied: 2, duplicate: 1, invalid_signature: 1, ignored: 1 });
    expect(sumOf(samples, BOOKINGS, { change: 'made' })).toBe(2);
    expect(sumOf(samples, BOOKINGS, { change: 'expired' })).toBe(1);
  });
});
