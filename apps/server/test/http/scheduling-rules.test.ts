import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { booking, callTrpc, demo, NOW, startTestApp, type TestApp } from '../support/app.js';

const { aarav, diya } = demo.students;

const trpc = (t: TestApp, kind: 'query' | 'mutation', procedure: string, input: Record<string, unknown>) =>
  callTrpc(t.app, kind, procedure, input);

describe('rescheduling keeps the price paid', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  it('keeps the price when the mentor became premium after the booking', async () => {
    const created = (await t.api.post('/api/bookings', booking())).body.booking;
    expect(created.cost).toBe(2000);
    expect((await t.api.patch(`/api/mentors/${demo.rohan}`, { is_premium: true })).status).toBe(200);

    const sentWrongCost = await t.api.post(`/api/bookings/${created.id}/reschedule`, {
      start_time: '2026-12-01T20:00:00',
      cost: 3000,
    });
    expect([sentWrongCost.status, sentWrongCost.body.code]).toEqual([422, 'price_mismatch']);
    const moved = await t.api.post(`/api/bookings/${created.id}/reschedule`, {
      start_time: '2026-12-01T20:00:00',
      cost: 2000,
    });
    expect([moved.status, moved.body.cost]).toEqual([200, 2000]);
    const history = await t.api.get(`/api/bookings/${created.id}/history`);
    expect(history.body).toMatchObject([{ kind: 'rescheduled', from_cost: 2000, to_cost: 2000 }]);
  });

  it('keeps the price when the mentor stopped being premium, on tRPC too', async () => {
    const created = (
      await t.api.post(
        '/api/bookings',
        booking({ mentor_id: demo.priya, start_time: '2026-12-01T20:00:00', duration: 60 }),
      )
    ).body.booking;
    expect(created.cost).toBe(6000);
    await t.api.patch(`/api/mentors/${demo.priya}`, { is_premium: false });
    const moved = await trpc(t, 'mutation', 'bookings.reschedule', {
      id: created.id,
      start_time: '2026-12-01T21:00:00',
    });
    expect(moved.data).toMatchObject({ cost: 6000, start_time: '2026-12-01T15:30:00.000Z' });
  });

  it('re-prices a new duration at the mentor’s current tier and records the price change', async () => {
    const created = (await t.api.post('/api/bookings', booking())).body.booking;
    await t.api.patch(`/api/mentors/${demo.rohan}`, { is_premium: true });
    const moved = await t.api.post(`/api/bookings/${created.id}/reschedule`, {
      start_time: '2026-12-01T20:00:00',
      duration: 60,
    });
    expect([moved.status, moved.body.cost]).toEqual([200, 6000]);
    await t.api.post(`/api/bookings/${created.id}/cancel`, {});
    const history = await t.api.get(`/api/bookings/${created.id}/history`);
    expect(history.body).toMatchObject([
      { kind: 'rescheduled', from_cost: 2000, to_cost: 6000 },
      { kind: 'cancelled', from_cost: 6000, to_cost: null },
    ]);
  });
});

describe('a session that has ended reads completed', () => {
  let t: TestApp;
  let clock: number;
  let id: number;
  beforeEach(async () => {
    clock = NOW;
    t = await startTestApp({}, () => clock);
    // 19:00–19:30 IST on 1 December: 13:30–14:00 UTC.
    id = (await t.api.post('/api/bookings', booking())).body.booking_id;
    await t.api.post('/api/bookings', booking({ start_time: '2026-12-02T19:00:00' }));
  });
  afterEach(() => t.close());

  const statusesOf = async (query: string) =>
    (await t.api.get(`/api/bookings?${query}`)).body.map((item: { id: number; status: string }) => [
      item.id,
      item.status,
    ]);

  it('stays confirmed until its end, then reads completed in every answer', async () => {
    clock = Date.parse('2026-12-01T13:59:59.999Z');
    expect((await t.api.get(`/api/bookings/${id}`)).body.status).toBe('confirmed');
    expect(await statusesOf('status=completed')).toEqual([]);

    clock = Date.parse('2026-12-01T14:00:00Z');
    expect((await t.api.get(`/api/bookings/${id}`)).body.status).toBe('completed');
    expect(await statusesOf('status=completed')).toEqual([[id, 'completed']]);
    expect(await statusesOf('status=confirmed')).toEqual([[id + 1, 'confirmed']]);
    expect(await statusesOf('upcoming=true')).toEqual([[id + 1, 'confirmed']]);
    expect(await statusesOf('upcoming=false')).toEqual([[id, 'completed']]);
    expect(await statusesOf('')).toEqual([
      [id, 'completed'],
      [id + 1, 'confirmed'],
    ]);

    expect((await trpc(t, 'query', 'bookings.get', { id })).data.status).toBe('completed');
    const listed = await trpc(t, 'query', 'bookings.list', { status: 'completed' });
    expect(listed.data.items.map((item: { id: number }) => item.id)).toEqual([id]);
  });

  it('refuses to cancel or move a completed session as no longer active, on both surfaces', async () => {
    clock = Date.parse('2026-12-01T13:45:00Z');
    const started = await t.api.post(`/api/bookings/${id}/cancel`, {});
    expect([started.status, started.body.code]).toEqual([422, 'booking_started']);

    clock = Date.parse('2026-12-01T14:30:00Z');
    const cancel = await t.api.post(`/api/bookings/${id}/cancel`, {});
    expect([cancel.status, cancel.body.code]).toEqual([409, 'booking_not_active']);
    expect(cancel.body.detail).toBe(`Booking ${id} is completed`);
    const move = await trpc(t, 'mutation', 'bookings.reschedule', { id, start_time: '2026-12-03T19:00:00' });
    expect(move).toEqual({ status: 409, code: 'booking_not_active' });
  });

  it('keeps a cancelled session cancelled after its end', async () => {
    const cancelled = await t.api.post(`/api/bookings/${id + 1}/cancel`, {});
    expect(cancelled.body.status).toBe('cancelled');
    clock = Date.parse('2026-12-03T00:00:00Z');
    expect(await statusesOf('')).toEqual([
      [id, 'completed'],
      [id + 1, 'cancelled'],
    ]);
    expect(await statusesOf('status=cancelled')).toEqual([[id + 1, 'cancelled']]);
  });

  it('answers a move and a cancellation with the status the booking then has', async () => {
    const moved = await t.api.post(`/api/bookings/${id}/reschedule`, { start_time: '2026-12-03T19:00:00' });
    expect([moved.status, moved.body.status]).toEqual([200, 'confirmed']);
    const cancelled = await trpc(t, 'mutation', 'bookings.cancel', { id });
    expect(cancelled.data.status).toBe('cancelled');
  });
});

describe('assignment refuses an off-grid start as a named booking does', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  it('answers 422 off_grid with or without a named mentor, on both surfaces', async () => {
    const offGrid = { student_id: aarav, start_time: '2026-12-01T19:10:00', duration: 30 };
    const named = await t.api.post('/api/bookings', { ...offGrid, mentor_id: demo.ananya });
    expect([named.status, named.body.code]).toEqual([422, 'off_grid']);
    const assigned = await t.api.post('/api/bookings', { ...offGrid, area_of_expertise: 'FMCG Sales' });
    expect([assigned.status, assigned.body.code]).toEqual([422, 'off_grid']);
    expect(assigned.body.detail).toBe(named.body.detail);
    const viaTrpc = await trpc(t, 'mutation', 'bookings.create', {
      ...offGrid,
      area_of_expertise: 'FMCG Sales',
    });
    expect(viaTrpc).toEqual({ status: 422, code: 'off_grid' });
  });

  it('judges the start before the pool, even when no mentor of the pool exists', async () => {
    // No premium mentor offers FMCG Sales in the demo catalogue.
    const request = { student_id: aarav, area_of_expertise: 'FMCG Sales', premium: true, duration: 30 };
    const offGrid = await t.api.post('/api/bookings', { ...request, start_time: '2026-12-01T19:10:00' });
    expect([offGrid.status, offGrid.body.code]).toEqual([422, 'off_grid']);
    const past = await t.api.post('/api/bookings', { ...request, start_time: '2026-11-30T19:00:00' });
    expect([past.status, past.body.code]).toEqual([422, 'in_the_past']);
    const onGrid = await t.api.post('/api/bookings', { ...request, start_time: '2026-12-01T19:00:00' });
    expect([onGrid.status, onGrid.body.code]).toEqual([409, 'no_mentor_available']);
  });
});

describe('rescheduling to the same slot', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  it('changes nothing and records nothing, on both surfaces', async () => {
    const created = (await t.api.post('/api/bookings', booking())).body.booking;
    const same = await t.api.post(`/api/bookings/${created.id}/reschedule`, {
      start_time: '2026-12-01T19:00:00+05:30',
      duration: 30,
      cost: 2000,
    });
    expect([same.status, same.body]).toEqual([200, created]);
    const viaTrpc = await trpc(t, 'mutation', 'bookings.reschedule', {
      id: created.id,
      start_time: '2026-12-01T13:30:00Z',
    });
    expect(viaTrpc.data).toEqual(created);
    expect((await t.api.get(`/api/bookings/${created.id}/history`)).body).toEqual([]);
  });

  it('still refuses what a move would refuse before looking at the slot', async () => {
    const created = (await t.api.post('/api/bookings', booking({ student_id: diya }))).body.booking;
    const wrongCost = await t.api.post(`/api/bookings/${created.id}/reschedule`, {
      start_time: '2026-12-01T19:00:00',
      cost: 3000,
    });
    expect([wrongCost.status, wrongCost.body.code]).toEqual([422, 'price_mismatch']);
    await t.api.post(`/api/bookings/${created.id}/cancel`, {});
    const cancelled = await t.api.post(`/api/bookings/${created.id}/reschedule`, {
      start_time: '2026-12-01T19:00:00',
    });
    expect([cancelled.status, cancelled.body.code]).toEqual([409, 'booking_not_active']);
  });

  it('is a move when only the duration changes', async () => {
    const created = (await t.api.post('/api/bookings', booking())).body.booking;
    const longer = await t.api.post(`/api/bookings/${created.id}/reschedule`, {
      start_time: '2026-12-01T19:00:00',
      duration: 45,
    });
    expect([longer.status, longer.body.cost]).toEqual([200, 3000]);
    const history = await t.api.get(`/api/bookings/${created.id}/history`);
    expect(history.body).toMatchObject([
      { from_end_time: '2026-12-01T14:00:00.000Z', to_end_time: '2026-12-01T14:15:00.000Z' },
    ]);
  });
});
