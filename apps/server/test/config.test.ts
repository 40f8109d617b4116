import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: 'development',
      port: 5000,
      database: { client: 'better-sqlite3', filename: './data/mentor-scheduling.sqlite' },
      defaultTimezone: 'Asia/Kolkata',
      seedDemo: true,
      slotPolicy: { gridMinutes: 15, minNoticeMinutes: 120, horizonDays: 60 },
      pricing: {
        currency: 'INR',
        pricesMinor: { 30: 200000, 45: 300000, 60: 400000 },
        premiumMultiplier: 1.5,
      },
    });
  });

  it('accepts the first backend’s DB_CLIENT=sqlite3 and treats empty variables as unset', () => {
    const config = loadConfig({ DB_CLIENT: 'sqlite3', PORT: '', DB_FILENAME: '/tmp/x.sqlite' });
    expect(config.database).toEqual({ client: 'sqlite3', filename: '/tmp/x.sqlite' });
    expect(config.port).toBe(5000);
  });

  it('does not seed demo data in production unless asked', () => {
    expect(loadConfig({ NODE_ENV: 'production' }).seedDemo).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', SEED_DEMO: 'true' }).seedDemo).toBe(true);
  });

  it('reads prices in rupees into paise', () => {
    const config = loadConfig({ PRICE_TABLE: '30=2500.50,45=3500,60=4500' });
    expect(config.pricing.pricesMinor).toEqual({ 30: 250050, 45: 350000, 60: 450000 });
  });

  it.each([
    [{ PORT: 'abc' }, /PORT/],
    [{ DB_CLIENT: 'mysql' }, /DB_CLIENT/],
    [{ DEFAULT_TIMEZONE: 'Mars/Olympus' }, /DEFAULT_TIMEZONE/],
    [{ DB_CLIENT: 'pg' }, /DATABASE_URL is required/],
    [{ PRICE_TABLE: '30=2000' }, /PRICE_TABLE/],
    [{ ADMIN_TOKEN: 'short' }, /ADMIN_TOKEN/],
    [{ SEED_DEMO: 'maybe' }, /SEED_DEMO/],
  ])('fails fast with one line naming the bad variable: %o', (env, pattern) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(pattern);
    try {
      loadConfig(env);
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
    }
  });
});
