import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loginAs, startTestApp } from '../support/app.js';

describe('calendar feed addresses in the request log', () => {
  it('logs that a feed was fetched, never the address that is its credential', async () => {
    const lines: string[] = [];
    const logStream = new PassThrough();
    logStream.on('data', (chunk: Buffer) => lines.push(chunk.toString('utf8')));
    const t = await startTestApp({ LOG_LEVEL: 'info' }, undefined, logStream);
    try {
      const student = await loginAs(t.api, 'aarav.sharma@example.com');
      const created = await t.api.post('/api/me/calendar-feed', {}, student);
      expect(created.status).toBe(201);
      const path = new URL(created.body.url).pathname;
      const token = path
        .split('/')
        .at(-1)
        ?.replace(/\.ics$/, '') as string;
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const feed = await t.app.inject({ method: 'GET', url: path });
      expect(feed.statusCode).toBe(200);
      expect(feed.headers['content-type']).toMatch(/^text\/calendar/);
      const log = lines.join('');
      expect(log).toContain('/api/calendar-feeds/<token>');
      expect(log).not.toContain(token);
    } finally {
      await t.close();
    }
  });
});
