import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';

const INDEX =
  '<!doctype html><html lang="en"><head><title>Mentor sessions</title></head><body><div id="root"></div></body></html>';
const html = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

describe('the web app served at /', () => {
  let directory: string;
  let t: TestApp;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'mentor-scheduling-web-'));
    mkdirSync(join(directory, 'assets'));
    writeFileSync(join(directory, 'index.html'), INDEX);
    writeFileSync(join(directory, 'assets', 'index-3f9a1c.js'), 'console.log("app")');
    writeFileSync(join(directory, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    t = await startTestApp({ WEB_APP_DIR: directory });
  });

  afterAll(async () => {
    await t?.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('answers the app at / and at every page address a browser opens, payment returns included', async () => {
    for (const url of ['/', '/book', '/sessions', '/bookings/42?payment=done', '/admin/payments']) {
      const response = await t.app.inject({ method: 'GET', url, headers: html });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type'], url).toMatch(/^text\/html/);
      expect(response.headers['cache-control'], url).toBe('no-cache');
      expect(response.body, url).toBe(INDEX);
    }
  });

  it('answers the app at / whatever the client accepts (curl, a link checker)', async () => {
    const root = await t.app.inject({ method: 'GET', url: '/', headers: { accept: '*/*' } });
    expect(root.statusCode).toBe(200);
    expect(root.body).toBe(INDEX);
    const elsewhere = await t.app.inject({ method: 'GET', url: '/book', headers: { accept: '*/*' } });
    expect(elsewhere.statusCode).toBe(404);
  });

  it('serves built assets as they are, cached for good since their names change with their content', async () => {
    const script = await t.app.inject({ method: 'GET', url: '/assets/index-3f9a1c.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(script.body).toBe('console.log("app")');
    const icon = await t.app.inject({ method: 'GET', url: '/favicon.svg' });
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['cache-control']).toBe('no-cache');
  });

  it('never shadows the API: unknown /api, /trpc and /docs paths keep their own answers, even for browsers', async () => {
    const api = await t.app.inject({ method: 'GET', url: '/api/no-such-thing', headers: html });
    expect(api.statusCode).toBe(404);
    expect(api.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(api.json()).toMatchObject({ code: 'route_not_found' });
    const trpc = await t.app.inject({ method: 'GET', url: '/trpc/no.such', headers: html });
    expect(trpc.statusCode).toBe(404);
    expect(trpc.body).not.toBe(INDEX);
    const docs = await t.app.inject({ method: 'GET', url: '/docs/no-such-page', headers: html });
    expect(docs.body).not.toBe(INDEX);
    const areas = await t.app.inject({ method: 'GET', url: '/api/areas', headers: html });
    expect(areas.statusCode).toBe(200);
    expect(areas.headers['content-type']).toMatch(/^application\/json/);
  });

  it('answers a missing file or a write outside the API with a problem document, not the app', async () => {
    const missing = await t.app.inject({ method: 'GET', url: '/assets/gone-000000.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    const post = await t.app.inject({
      method: 'POST',
      url: '/book',
      headers: { ...html, 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(post.statusCode).toBe(404);
    expect(post.json()).toMatchObject({ code: 'route_not_found' });
  });

  it('keeps the security headers on the app’s pages', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/book', headers: html });
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('without a built web app', () => {
  it('serves the API alone and answers / with a problem document', async () => {
    const t = await startTestApp();
    try {
      const root = await t.app.inject({ method: 'GET', url: '/', headers: html });
      expect(root.statusCode).toBe(404);
      expect(root.json()).toMatchObject({ code: 'route_not_found' });
    } finally {
      await t.close();
    }
  });
});
