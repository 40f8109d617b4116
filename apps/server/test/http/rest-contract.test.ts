import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoMentorEmail, demoMentors } from '../../src/db/demo-catalogue.js';
import { anonymously, booking, demo, loginAs, startTestApp, type TestApp } from '../support/app.js';

/**
 * What the REST contract promises, as a third-party client reads it: every answer below is also
 * checked against openapi/openapi.yaml by the `api` helper, so an answer the spec does not declare
 * fails here too.
 */
describe('REST contract: what the spec declares is what the server answers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ BODY_LIMIT_BYTES: '4096' });
  });
  afterAll(() => t.close());

  it('declares what a body-less POST answers to a body it cannot take (413, 415, malformed JSON)', async () => {
    const logout = (payload: string, contentType: string) =>
      t.api.request({
        method: 'POST',
        url: '/api/auth/logout',
        payload,
        headers: { 'content-type': contentType },
      });
    expect((await logout(JSON.stringify({ padding: 'x'.repeat(8000) }), 'application/json')).status).toBe(
      413,
    );
    expect((await logout('not json', 'text/plain')).status).toBe(415);
    const malformed = await logout('{"everywhere": ', 'application/json');
    expect([malformed.status, malformed.body.code]).toEqual([400, 'malformed_json']);
  });

  it('declares the 400 of an unknown query parameter on an operation that takes no input', async () => {
    const response = await t.api.get('/api/health?verbose=true');
    expect([response.status, response.body.code]).toEqual([400, 'invalid_request']);
  });

  it('cancels a booking with no body, an empty body or a reason', async () => {
    const ids: number[] = [];
    for (const start of ['2026-12-02T19:00:00', '2026-12-02T20:00:00', '2026-12-02T21:00:00']) {
      const created = await t.api.post('/api/bookings', booking({ start_time: start }));
      expect(created.status).toBe(201);
      ids.push(created.body.booking.id);
    }
    const [none, empty, withReason] = ids;
    const noBody = await t.api.request({ method: 'POST', url: `/api/bookings/${none}/cancel` });
    const emptyBody = await t.api.post(`/api/bookings/${empty}/cancel`, {});
    const reason = await t.api.post(`/api/bookings/${withReason}/cancel`, { reason: 'Exam moved' });
    expect([noBody.status, emptyBody.status, reason.status]).toEqual([200, 200, 200]);
    expect(reason.body.cancellation_reason).toBe('Exam moved');
  });

  it('answers every instant of a slot search in the one form of all answers, milliseconds included', async () => {
    const window = 'area_of_expertise=FMCG%20Sales&from=2026-12-01T19:00:00&to=2026-12-01T20:00:00';
    const utc = await t.api.get(`/api/slots?${window}`);
    const zoned = await t.api.get(`/api/slots?${window}&timezone=Asia/Kolkata`);
    expect(utc.body.slots.length).toBeGreaterThan(0);
    const times = (body: { from: string; to: string; slots: { start_time: string; end_time: string }[] }) => [
      body.from,
      body.to,
      ...body.slots.flatMap((slot) => [slot.start_time, slot.end_time]),
    ];
    for (const time of times(utc.body)) expect(time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    for (const slot of zoned.body.slots) expect(slot.start_time).toMatch(/T\d\d:\d\d:\d\d\.\d{3}\+05:30$/);
    expect(utc.body.slots[0].start_time).toBe('2026-12-01T13:30:00.000Z');
  });

  it('gives the path alone as a problem’s instance, never the query string', async () => {
    const response = await t.api.get('/api/mentors?area_of_expertise=Consulting&password=hunter2');
    expect(response.status).toBe(400);
    expect(response.body.instance).toBe('/api/mentors');
    expect(JSON.stringify(response.body)).not.toContain('hunter2');
    const unknownRoute = await t.app.inject({ url: '/api/nowhere?token=hunter2' });
    expect(unknownRoute.json().instance).toBe('/api/nowhere');
  });

  it('answers an anonymous slot search in a student’s view with 401, as the spec’s access rule says', async () => {
    const response = await t.api.get(
      `/api/slots?area_of_expertise=FMCG%20Sales&student_id=${demo.students.aarav}`,
      anonymously,
    );
    expect([response.status, response.body.code]).toEqual([401, 'unauthenticated']);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    const other = await t.api.get(
      `/api/slots?area_of_expertise=FMCG%20Sales&student_id=${demo.students.diya}`,
      await loginAs(t.api, 'aarav.sharma@example.com'),
    );
    expect([other.status, other.body.code]).toEqual([403, 'forbidden']);
  });

  it('refuses for a student an email a mentor’s account already uses, however it is spelled', async () => {
    const mentorEmail = demoMentorEmail(demoMentors[0]?.name ?? '');
    const created = await t.api.post('/api/students', { name: 'Ananya Student', email: mentorEmail });
    expect([created.status, created.body.code]).toEqual([409, 'email_taken']);
    const shouted = await t.api.post('/api/students', {
      name: 'Ananya Student',
      email: mentorEmail.toUpperCase(),
    });
    expect([shouted.status, shouted.body.code]).toEqual([409, 'email_taken']);
    const registered = await t.api.post(
      '/api/auth/register',
      { name: 'Ananya Student', email: mentorEmail, password: 'a long enough passphrase' },
      anonymously,
    );
    expect([registered.status, registered.body.code]).toEqual([409, 'email_taken']);
    const moved = await t.api.patch(`/api/students/${demo.students.kabir}`, { email: mentorEmail });
    expect([moved.status, moved.body.code]).toEqual([409, 'email_taken']);
    // A student keeps their own email, which their own account also uses.
    const kept = await t.api.patch(`/api/students/${demo.students.aarav}`, {
      email: 'aarav.sharma@example.com',
    });
    expect(kept.status).toBe(200);
  });
});
