import type { AddressInfo } from 'node:net';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AppRouter } from '../../src/http/trpc.js';
import {
  anonymously,
  asAdmin,
  callTrpc,
  comparableAnswer,
  demo,
  pluginOnlyTwin,
  startTestApp,
  type TestApp,
} from '../support/app.js';

/**
 * tRPC reads go the way REST reads go after their input is parsed: the same kept answer, checked
 * and encoded once. Compared with an app on the same database whose tRPC reads the tRPC plugin
 * answers itself, every answer (success or error, single or batched) is the same, byte for byte.
 */

let t: TestApp;
/** The same data, tRPC answered by the tRPC plugin alone. */
let plain: FastifyInstance;

beforeAll(async () => {
  t = await startTestApp();
  plain = await pluginOnlyTwin(t);
});
afterAll(async () => {
  await plain?.close();
  await t?.close();
});

const json = (value: unknown) => encodeURIComponent(JSON.stringify(value));

async function bothAnswers(url: string, headers: Record<string, string> = asAdmin) {
  const request = { method: 'GET' as const, url, headers };
  const [fast, slow] = await Promise.all([t.app.inject(request), plain.inject(request)]);
  expect(fast.headers['x-request-id']).toEqual(expect.any(String));
  return { fast: comparableAnswer(fast), slow: comparableAnswer(slow) };
}

describe('tRPC reads answer as the tRPC plugin would', () => {
  const successes: [string, string][] = [
    ['a procedure without input', '/trpc/areas.list'],
    ['a kept mentors page', `/trpc/mentors.list?input=${json({ area_of_expertise: 'Equity Research' })}`],
    ['a mentors page without input', '/trpc/mentors.list'],
    ['a mentor with its slots', `/trpc/mentors.get?input=${json({ id: demo.rohan, duration: 45 })}`],
    ['a mentor’s slots', `/trpc/mentors.slots?input=${json({ id: demo.rohan, duration: 60 })}`],
    ['a slot search', `/trpc/slots.search?input=${json({ area_of_expertise: 'Equity Research' })}`],
    [
      'a batch of reads',
      `/trpc/areas.list,mentors.list,pricing.get,bookings.list?batch=1&input=${json({ 1: { limit: 2 } })}`,
    ],
    ['a batch of one', `/trpc/mentors.list?batch=1&input=${json({ 0: { is_premium: true } })}`],
  ];
  for (const [what, url] of successes) {
    it(`answers ${what} byte for byte as the plugin, with the same headers`, async () => {
      const { fast, slow } = await bothAnswers(url);
      expect(fast.status).toBe(200);
      expect(fast).toEqual(slow);
    });
  }

  const refusals: [string, string, Record<string, string>?][] = [
    ['an anonymous call of a private read in a batch', '/trpc/areas.list,bookings.list?batch=1', anonymously],
    ['an invalid input', `/trpc/mentors.slots?input=${json({ id: demo.rohan, duration: 31 })}`],
    ['a service refusal', `/trpc/mentors.get?input=${json({ id: 999_999 })}`],
    ['an unknown procedure in a batch', '/trpc/areas.list,mentors.nope?batch=1'],
    ['input that is not JSON', '/trpc/mentors.list?input=%7Bnope'],
    ['a mutation called as a query', `/trpc/auth.logout`],
  ];
  for (const [what, url, headers] of refusals) {
    it(`leaves ${what} to the plugin, which answers its own error envelopes`, async () => {
      const { fast, slow } = await bothAnswers(url, headers);
      expect(fast.status).not.toBe(200);
      expect(fast).toEqual(slow);
    });
  }
});

describe('a kept answer is encoded once for tRPC as for REST', () => {
  it('serialises a kept mentors page on no later tRPC call, single or batched', async () => {
    const url = `/trpc/mentors.list?input=${json({ area_of_expertise: 'FMCG Sales' })}`;
    const batchUrl = `/trpc/mentors.list,areas.list?batch=1&input=${json({ 0: { area_of_expertise: 'FMCG Sales' } })}`;
    const first = await t.app.inject({ method: 'GET', url, headers: asAdmin });
    expect(first.statusCode).toBe(200);
    const stringify = vi.spyOn(JSON, 'stringify');
    try {
      for (const target of [url, url, batchUrl, batchUrl]) {
        const response = await t.app.inject({ method: 'GET', url: target, headers: asAdmin });
        expect(response.statusCode).toBe(200);
      }
      const pageLength = first.body.length / 2;
      const largeSerialisations = stringify.mock.results.filter(
        (result) => typeof result.value === 'string' && result.value.length > pageLength,
      );
      expect(largeSerialisations).toHaveLength(0);
    } finally {
      stringify.mockRestore();
    }
  });
});

describe('tRPC inputs are values', () => {
  it('refuses a duration sent as text on tRPC, while REST reads ?duration=60 as the number', async () => {
    const rest = await t.api.get(`/api/mentors/${demo.rohan}/slots?duration=60`);
    expect([rest.status, rest.body.duration]).toEqual([200, 60]);
    const asText = await callTrpc(t.app, 'query', 'mentors.slots', { id: demo.rohan, duration: '60' });
    expect(asText).toEqual({ status: 400, code: 'invalid_request', fields: ['/duration'] });
    const asValue = await callTrpc(t.app, 'query', 'mentors.slots', { id: demo.rohan, duration: 60 });
    expect([asValue.status, asValue.data.duration]).toEqual([200, 60]);
  });

  it('refuses booleans and ids sent as text on tRPC, as REST reads them from the URL', async () => {
    expect(await callTrpc(t.app, 'query', 'mentors.list', { is_premium: 'true' })).toMatchObject({
      status: 400,
      fields: ['/is_premium'],
    });
    expect(await callTrpc(t.app, 'query', 'mentors.get', { id: String(demo.rohan) })).toMatchObject({
      status: 400,
      fields: ['/id'],
    });
    const premium = await t.api.get('/api/mentors?is_premium=true');
    expect(premium.status).toBe(200);
    expect(premium.body.every((mentor: { is_premium: boolean }) => mentor.is_premium)).toBe(true);
    expect((await t.api.get('/api/mentors?is_premium=yes')).status).toBe(400);
  });
});

describe('through @trpc/client', () => {
  let fastUrl: string;
  let plainUrl: string;

  beforeAll(async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    await plain.listen({ port: 0, host: '127.0.0.1' });
    fastUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/trpc`;
    plainUrl = `http://127.0.0.1:${(plain.server.address() as AddressInfo).port}/trpc`;
  });

  /** A batching client that keeps each raw answer body it receives. */
  function recordingClient(url: string) {
    const bodies: string[] = [];
    const recording: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      bodies.push(await response.clone().text());
      return response;
    };
    const client = createTRPCClient<AppRouter>({
      links: [httpBatchLink({ url, headers: () => asAdmin, fetch: recording })],
    });
    return { client, bodies };
  }

  async function readsThrough(url: string) {
    const { client, bodies } = recordingClient(url);
    const data = await Promise.all([
      client.areas.list.query(),
      client.bookings.list.query(),
      client.mentors.list.query(),
      client.mentors.list.query({ duration: 60, limit: 3, is_premium: false }),
      client.mentors.slots.query({ id: demo.priya, duration: 45 }),
      client.slots.search.query({ area_of_expertise: 'Equity Research', premium: true }),
    ]);
    return { data, bodies };
  }

  it('calls reads with no argument and gets the plugin’s answers, byte for byte', async () => {
    const fast = await readsThrough(fastUrl);
    const slow = await readsThrough(plainUrl);
    expect(fast.bodies).toHaveLength(1);
    expect(fast.bodies).toEqual(slow.bodies);
    expect(fast.data).toEqual(slow.data);
    const [areas, bookings, mentors, hourLong] = fast.data;
    expect(areas.length).toBeGreaterThan(0);
    expect(bookings).toEqual({ items: [], nextCursor: null });
    expect(mentors.items.length).toBeGreaterThan(0);
    expect(hourLong.items).toHaveLength(3);
  });
});
