import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { allOperations } from '@mentor-scheduling/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { demoAreaNames } from '../../src/db/demo-catalogue.js';
import { anonymously, startTestApp, type TestApp } from '../support/app.js';

interface Area {
  id: number;
  name: string;
  slug: string;
  mentor_count: number;
}

describe('operations endpoints', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('answers liveness without credentials', async () => {
    const response = await t.api.get('/api/health', anonymously);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok', uptime_seconds: expect.any(Number) });
    expect(response.body.uptime_seconds).toBeGreaterThanOrEqual(0);
  });

  it('answers readiness once the database answers', async () => {
    const response = await t.api.get('/api/ready', anonymously);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ready', database: 'ok' });
  });
});

describe('the areas of expertise', () => {
  let t: TestApp;
  let areas: Area[];
  beforeAll(async () => {
    t = await startTestApp();
    const response = await t.api.get<Area[]>('/api/areas', anonymously);
    expect(response.status).toBe(200);
    areas = response.body;
  });
  afterAll(() => t.close());

  it('lists the forty demo areas, each once, to anyone', () => {
    expect(areas).toHaveLength(40);
    expect(new Set(areas.map((area) => area.name))).toEqual(new Set(demoAreaNames));
    expect(new Set(areas.map((area) => area.id)).size).toBe(40);
  });

  it('sorts them by name', () => {
    const names = areas.map((area) => area.name);
    expect(names).toEqual([...names].sort());
    expect(names[0]).toBe('Brand Management');
  });

  it('gives each a slug made from its name', () => {
    expect(areas.find((area) => area.name === 'Equity Research')?.slug).toBe('equity-research');
    expect(areas.find((area) => area.name === 'Financial Planning and Analysis')?.slug).toBe(
      'financial-planning-and-analysis',
    );
    for (const area of areas) expect(area.slug).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it('counts the mentors who offer each area', () => {
    const countOf = (name: string) => areas.find((area) => area.name === name)?.mentor_count;
    expect(countOf('Equity Research')).toBe(3);
    expect(countOf('FMCG Sales')).toBe(3);
    expect(countOf('Consulting')).toBe(3);
    expect(countOf('Product Management')).toBe(3);
    expect(countOf('Corporate Finance')).toBe(2);
    // Areas nobody offers yet are listed too, with zero.
    expect(countOf('Insurance')).toBe(0);
    expect(countOf('Treasury')).toBe(0);
  });

  it('follows the mentors: a new mentor of an area raises its count', async () => {
    const created = await t.api.post('/api/mentors', {
      name: 'Lata Krishnan',
      areas_of_expertise: ['Insurance', 'equity research'],
    });
    expect(created.status).toBe(201);
    const after = (await t.api.get<Area[]>('/api/areas', anonymously)).body;
    const countOf = (name: string) => after.find((area) => area.name === name)?.mentor_count;
    expect(countOf('Insurance')).toBe(1);
    expect(countOf('Equity Research')).toBe(4);
  });
});

describe('the price table', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('gives standard prices of 2000/3000/4000 INR and premium ones ×1.5', async () => {
    const response = await t.api.get('/api/pricing', anonymously);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      currency: 'INR',
      premium_multiplier: 1.5,
      prices: [
        { duration: 30, standard: 2000, premium: 3000 },
        { duration: 45, standard: 3000, premium: 4500 },
        { duration: 60, standard: 4000, premium: 6000 },
      ],
    });
  });
});

describe('the published contract and reference', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('serves an OpenAPI 3.1 document with every operation of the table', async () => {
    const response = await t.api.get('/api/openapi.json', anonymously);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body.openapi).toMatch(/^3\.1\./);
    const paths = response.body.paths as Record<string, Record<string, { operationId?: string }>>;
    const operations = allOperations();
    expect(operations.length).toBeGreaterThan(0);
    for (const operation of operations) {
      expect(paths[operation.path], operation.path).toBeDefined();
      expect(paths[operation.path]?.[operation.method.toLowerCase()]?.operationId, operation.id).toBe(
        operation.id,
      );
    }
    expect(new Set(Object.keys(paths))).toEqual(new Set(operations.map((operation) => operation.path)));
  });

  it('serves exactly the committed openapi/openapi.yaml', async () => {
    const committed = parse(
      readFileSync(fileURLToPath(new URL('../../../../openapi/openapi.yaml', import.meta.url)), 'utf8'),
    );
    const served = (await t.api.get('/api/openapi.json', anonymously)).body;
    expect(served).toEqual(committed);
  });

  it('serves the interactive reference as HTML', async () => {
    const response = await t.api.get('/docs', anonymously);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toMatch(/<html/i);
    expect(response.body).toContain('swagger-ui');
  });

  it('loads every stylesheet and script of the reference from this server, so it works offline', async () => {
    const html = (await t.api.get<string>('/docs', anonymously)).body;
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] as string);
    const stylesheets = [...html.matchAll(/<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g)];
    const scripts = [...html.matchAll(/<script[^>]*src="([^"]+)"/g)];
    expect(stylesheets.length).toBeGreaterThan(0);
    expect(scripts.length).toBeGreaterThan(0);
    for (const asset of assets) {
      expect(asset, 'no asset from another host').not.toMatch(/^(https?:)?\/\//);
      const url = new URL(asset, 'http://local/docs').pathname;
      expect(url.startsWith('/docs/static/'), asset).toBe(true);
      const served = await t.app.inject({ method: 'GET', url });
      expect(served.statusCode, url).toBe(200);
      expect(served.body.length, url).toBeGreaterThan(0);
    }
    const css = await t.app.inject({ method: 'GET', url: '/docs/static/swagger-ui.css' });
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    const js = await t.app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' });
    expect(js.headers['content-type']).toMatch(/javascript/);
    // The page then reads the contract from this server too.
    const initializer = await t.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    const remoteLines = initializer.body
      .split('\n')
      .filter((line) => /https?:\/\//.test(line) && !line.trim().startsWith('//'));
    expect(remoteLines).toEqual([]);
    const contract = await t.app.inject({ method: 'GET', url: '/docs/json' });
    expect(contract.statusCode).toBe(200);
    expect(contract.json().paths).toEqual((await t.api.get('/api/openapi.json', anonymously)).body.paths);
  });

  it('lets the reference page load scripts only from its own origin', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/docs' });
    const policy = String(response.headers['content-security-policy'] ?? '');
    expect(policy).toMatch(/script-src 'self'/);
    expect(policy).not.toMatch(/script-src[^;]*https:/);
  });
});
