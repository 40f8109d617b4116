/**
 * docs/prometheus-alerts.yml (the alerts docs/operations.md recommends, as a Prometheus rule file):
 * every metric it names is one the server serves, and it says what the document says.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startTestApp, type TestApp } from '../support/app.js';

const repository = join(fileURLToPath(import.meta.url), '../../../../..');
const METRICS_TOKEN = 'metrics-token-for-the-alerts-0123';

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const rules: AlertRule[] = (
  parse(readFileSync(join(repository, 'docs/prometheus-alerts.yml'), 'utf8')) as {
    groups: { rules: AlertRule[] }[];
  }
).groups.flatMap((group) => group.rules);

const collapsed = (text: string) => text.replace(/\s+/g, ' ').trim();

/** The metric names of an expression, as the exposition declares them (histograms without suffix). */
function metricsOf(expr: string): string[] {
  const names = expr.match(/\b(?:mentor_scheduling|nodejs|process)_[a-z0-9_]+/g) ?? [];
  return [...new Set(names.map((name) => name.replace(/_(bucket|count|sum)$/, '')))];
}

describe('the Prometheus alert rules', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ METRICS_TOKEN });
  });
  afterAll(async () => t?.close());

  it('name only metrics the server declares in its scrape', async () => {
    const scrape = await t.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(scrape.statusCode).toBe(200);
    const declared = new Set([...scrape.body.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]));
    expect(rules.length).toBeGreaterThan(10);
    for (const rule of rules) {
      const named = metricsOf(rule.expr);
      expect(named.length, rule.alert).toBeGreaterThan(0);
      for (const metric of named) expect(declared, `${rule.alert} names ${metric}`).toContain(metric);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
    }
  });

  it('hold every alert of docs/operations.md, with the same expression and wait', () => {
    const operations = readFileSync(join(repository, 'docs/operations.md'), 'utf8');
    const table = operations.slice(operations.indexOf('### What to alert on'));
    const documented = [...table.matchAll(/^\| [^|]+ \| `(.+?)`( for (\w+))? \|/gm)].map((match) => ({
      expr: collapsed(match[1] as string),
      for: match[3],
    }));
    expect(documented.map((alert) => alert.expr).sort()).toEqual(
      rules.map((rule) => collapsed(rule.expr)).sort(),
    );
    for (const alert of documented) {
      const rule = rules.find((candidate) => collapsed(candidate.expr) === alert.expr);
      expect(rule?.for, alert.expr).toBe(alert.for);
    }
  });
});
