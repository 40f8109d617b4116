import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demo, NOW, startTestApp, type TestApp } from '../support/app.js';

const fieldPathsOf = (body: { errors?: { path: string }[] }) =>
  (body.errors ?? []).map((error) => error.path);

describe('creating students', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('answers 201 with the student, in the platform zone by default, the area by its catalogue name', async () => {
    const response = await t.api.post('/api/students', {
      name: 'Neha Rao',
      email: 'Neha.Rao@Example.com',
      area_of_interest: 'equity research',
    });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: 6,
      name: 'Neha Rao',
      email: 'Neha.Rao@Example.com',
      timezone: 'Asia/Kolkata',
      area_of_interest: 'Equity Research',
      preferred_windows: [],
      created_at: new Date(NOW).toISOString(),
    });
    const fetched = await t.api.get('/api/students/6');
    expect(fetched.body).toEqual(response.body);
  });

  it('keeps a given time zone, takes an area by slug, and allows no area at all', async () => {
    const zoned = await t.api.post('/api/students', {
      name: 'Liam Fernandes',
      email: 'liam@example.com',
      timezone: 'Europe/London',
      area_of_interest: 'product-management',
    });
    expect(zoned.status).toBe(201);
    expect(zoned.body).toMatchObject({ timezone: 'Europe/London', area_of_interest: 'Product Management' });
    const without = await t.api.post('/api/students', { name: 'No Area', email: 'no.area@example.com' });
    expect(without.status).toBe(201);
    expect(without.body.area_of_interest).toBeNull();
  });

  it('refuses an email already registered, whatever its case, with 409 email_taken', async () => {
    const first = await t.api.post('/api/students', { name: 'Mira Sen', email: 'mira.sen@example.com' });
    expect(first.status).toBe(201);
    const again = await t.api.post('/api/students', { name: 'Mira Again', email: 'MIRA.Sen@EXAMPLE.com' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'email_taken', status: 409 });
    const demoEmail = await t.api.post('/api/students', {
      name: 'Aarav Twin',
      email: 'Aarav.Sharma@example.com',
    });
    expect([demoEmail.status, demoEmail.body.code]).toEqual([409, 'email_taken']);
  });

  it.each(['not-an-email', 'a@', '@example.com', ''])(
    'refuses email %j with 400 and path /email',
    async (email) => {
      const response = await t.api.post('/api/students', { name: 'Bad Email', email });
      expect([response.status, response.body.code]).toEqual([400, 'invalid_request']);
      expect(fieldPathsOf(response.body)).toEqual(['/email']);
    },
  );

  it('refuses missing name and email, naming both', async () => {
    const response = await t.api.post('/api/students', {});
    expect(response.status).toBe(400);
    expect(fieldPathsOf(response.body).sort()).toEqual(['/email', '/name']);
  });

  it('refuses an unknown area_of_interest with 422 unknown_area and creates nothing', async () => {
    const response = await t.api.post('/api/students', {
      name: 'Star Gazer',
      email: 'star.gazer@example.com',
      area_of_interest: 'Astrology',
    });
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({
      code: 'unknown_area',
      detail: expect.stringContaining('Astrology'),
    });
    // The email is still free: nothing was written.
    const retry = await t.api.post('/api/students', { name: 'Star Gazer', email: 'star.gazer@example.com' });
    expect(retry.status).toBe(201);
  });

  it('refuses an unknown time zone with 400 and path /timezone', async () => {
    const response = await t.api.post('/api/students', {
      name: 'Zone Less',
      email: 'zone.less@example.com',
      timezone: 'Nowhere/Land',
    });
    expect(response.status).toBe(400);
    expect(fieldPathsOf(response.body)).toEqual(['/timezone']);
  });
});

describe('reading and changing students', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('answers a demo student', async () => {
    const response = await t.api.get(`/api/students/${demo.students.aarav}`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      id: demo.students.aarav,
      name: 'Aarav Sharma',
      email: 'aarav.sharma@example.com',
      timezone: 'Asia/Kolkata',
      area_of_interest: 'Equity Research',
    });
  });

  it('answers 404 not_found for an unknown student, reading or changing', async () => {
    const read = await t.api.get('/api/students/999');
    expect([read.status, read.body.code]).toEqual([404, 'not_found']);
    const change = await t.api.patch('/api/students/999', { name: 'Ghost' });
    expect([change.status, change.body.code]).toEqual([404, 'not_found']);
  });

  it('refuses a non-numeric id with 400 and path /id', async () => {
    const response = await t.api.get('/api/students/abc');
    expect(response.status).toBe(400);
    expect(fieldPathsOf(response.body)).toEqual(['/id']);
  });

  it('changes the name and leaves the rest as it was', async () => {
    const response = await t.api.patch(`/api/students/${demo.students.kabir}`, { name: 'Kabir J.' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      id: demo.students.kabir,
      name: 'Kabir J.',
      email: 'kabir.jain@example.com',
      area_of_interest: 'Product Management',
    });
    expect((await t.api.get(`/api/students/${demo.students.kabir}`)).body.name).toBe('Kabir J.');
  });

  it('changes the area of interest, and clears it with null', async () => {
    const changed = await t.api.patch(`/api/students/${demo.students.saanvi}`, {
      area_of_interest: 'strategy',
    });
    expect(changed.body.area_of_interest).toBe('Strategy');
    const cleared = await t.api.patch(`/api/students/${demo.students.saanvi}`, { area_of_interest: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body.area_of_interest).toBeNull();
    const unknown = await t.api.patch(`/api/students/${demo.students.saanvi}`, {
      area_of_interest: 'Astrology',
    });
    expect([unknown.status, unknown.body.code]).toEqual([422, 'unknown_area']);
  });

  it('refuses an email another student has, whatever its case, with 409 and changes nothing', async () => {
    const response = await t.api.patch(`/api/students/${demo.students.aarav}`, {
      name: 'Aarav Renamed',
      email: 'DIYA.Patel@example.com',
    });
    expect(response.status).toBe(409);
    expect(response.body.code).toBe('email_taken');
    const unchanged = await t.api.get(`/api/students/${demo.students.aarav}`);
    expect(unchanged.body).toMatchObject({ name: 'Aarav Sharma', email: 'aarav.sharma@example.com' });
  });

  it('lets a student keep their own email in another case', async () => {
    const response = await t.api.patch(`/api/students/${demo.students.vihaan}`, {
      email: 'Vihaan.Kapoor@example.com',
    });
    expect(response.status).toBe(200);
    expect(response.body.email).toBe('Vihaan.Kapoor@example.com');
  });

  it('refuses an invalid email with 400 and path /email', async () => {
    const response = await t.api.patch(`/api/students/${demo.students.diya}`, { email: 'diya-at-example' });
    expect(response.status).toBe(400);
    expect(fieldPathsOf(response.body)).toEqual(['/email']);
  });
});
