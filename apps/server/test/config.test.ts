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

const production = { NODE_ENV: 'production', ADMIN_TOKEN: 'production-operator-token-0123456789' };

/** The ConfigError `env` is refused with, checked to be one line. */
function refusalOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).not.toContain('\n');
    return (error as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('loadConfig: payments', () => {
  const stripe = {
    PAYMENT_PROVIDER: 'stripe',
    STRIPE_SECRET_KEY: 'sk_test_configSuite0123',
    STRIPE_WEBHOOK_SECRET: 'whsec_configSuite0123',
  };

  it('is off by default: bookings are confirmed at once', () => {
    expect(loadConfig({}).payments).toEqual({ provider: 'none' });
    expect(loadConfig({ PAYMENT_PROVIDER: 'none', STRIPE_SECRET_KEY: 'sk_test_unused' }).payments).toEqual({
      provider: 'none',
    });
  });

  it('turns Stripe on with a 30-minute hold and a local return address by default', () => {
    expect(loadConfig({ ...stripe, PORT: '5050' }).payments).toEqual({
      provider: 'stripe',
      secretKey: 'sk_test_configSuite0123',
      webhookSecret: 'whsec_configSuite0123',
      holdMinutes: 30,
      publicBaseUrl: 'http://localhost:5050',
      apiBase: undefined,
    });
  });

  it('reads the hold, the public address (without a trailing slash) and a stand-in API base', () => {
    const config = loadConfig({
      ...stripe,
      STRIPE_SECRET_KEY: 'rk_live_restricted0123',
      PAYMENT_HOLD_MINUTES: '1',
      PUBLIC_BASE_URL: 'https://sessions.example.com/app/',
      STRIPE_API_BASE: 'http://127.0.0.1:12111',
    });
    expect(config.payments).toMatchObject({
      secretKey: 'rk_live_restricted0123',
      holdMinutes: 1,
      publicBaseUrl: 'https://sessions.example.com/app',
      apiBase: 'http://127.0.0.1:12111',
    });
    expect(loadConfig({ ...stripe, PAYMENT_HOLD_MINUTES: '1440' }).payments).toMatchObject({
      holdMinutes: 1440,
    });
  });

  it('refuses Stripe without its keys, naming every missing variable in one error', () => {
    const both = refusalOf({ PAYMENT_PROVIDER: 'stripe' });
    expect(both).toMatch(
      /STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET are required when PAYMENT_PROVIDER=stripe/,
    );
    const one = refusalOf({ PAYMENT_PROVIDER: 'stripe', STRIPE_SECRET_KEY: stripe.STRIPE_SECRET_KEY });
    expect(one).toMatch(/STRIPE_WEBHOOK_SECRET is required/);
    expect(one).not.toMatch(/STRIPE_SECRET_KEY/);
  });

  it.each([
    [{ PAYMENT_PROVIDER: 'paypal' }, /PAYMENT_PROVIDER/],
    [{ STRIPE_SECRET_KEY: 'pk_test_publishableNotSecret' }, /STRIPE_SECRET_KEY/],
    [{ STRIPE_SECRET_KEY: 'sk_prod_0123' }, /STRIPE_SECRET_KEY/],
    [{ STRIPE_WEBHOOK_SECRET: 'secret_0123' }, /STRIPE_WEBHOOK_SECRET/],
    [{ PAYMENT_HOLD_MINUTES: '0' }, /PAYMENT_HOLD_MINUTES/],
    [{ PAYMENT_HOLD_MINUTES: '1441' }, /PAYMENT_HOLD_MINUTES/],
    [{ PAYMENT_HOLD_MINUTES: '2.5' }, /PAYMENT_HOLD_MINUTES/],
    [{ PUBLIC_BASE_URL: 'sessions.example.com' }, /PUBLIC_BASE_URL/],
    [{ STRIPE_API_BASE: 'ftp://127.0.0.1:12111' }, /STRIPE_API_BASE/],
  ])('refuses a bad payment variable with one line naming it: %o', (bad, pattern) => {
    expect(refusalOf({ ...stripe, ...bad })).toMatch(pattern);
  });

  it('refuses Stripe in production without PUBLIC_BASE_URL', () => {
    expect(refusalOf({ ...production, ...stripe })).toMatch(
      /PUBLIC_BASE_URL is required when PAYMENT_PROVIDER=stripe/,
    );
    const config = loadConfig({ ...production, ...stripe, PUBLIC_BASE_URL: 'https://sessions.example.com' });
    expect(config.payments).toMatchObject({
      provider: 'stripe',
      publicBaseUrl: 'https://sessions.example.com',
    });
  });

  it('refuses a stand-in of Stripe (STRIPE_API_BASE) in production', () => {
    const env = {
      ...production,
      ...stripe,
      PUBLIC_BASE_URL: 'https://sessions.example.com',
      STRIPE_API_BASE: 'http://127.0.0.1:12111',
    };
    expect(refusalOf(env)).toMatch(/STRIPE_API_BASE .* not production/);
  });
});

describe('loadConfig: notifications', () => {
  it('writes email to files in development, sends none in production or tests without SMTP_URL', () => {
    const development = loadConfig({ NODE_ENV: 'development' }).notifications;
    expect(development.email).toEqual({
      mode: 'files',
      directory: './data/mail',
      from: { name: 'Mentor sessions', address: 'sessions@localhost' },
    });
    expect(loadConfig({ ...production }).notifications.email).toEqual({ mode: 'off' });
    expect(loadConfig({ NODE_ENV: 'test' }).notifications.email).toEqual({ mode: 'off' });
  });

  it('has the documented outbox defaults: 1 s polls, 8 tries from 10 s, reminders 24 h and 1 h before', () => {
    const notifications = loadConfig({}).notifications;
    expect(notifications).toMatchObject({
      pollMs: 1000,
      retryBaseMs: 10_000,
      maxAttempts: 8,
      leaseMs: 120_000,
      dispatch: true,
      reminderOffsetsMinutes: [1440, 60],
      webhookAllowPrivate: true,
    });
    expect(loadConfig({ ...production }).notifications.webhookAllowPrivate).toBe(false);
    expect(
      loadConfig({ ...production, WEBHOOK_ALLOW_PRIVATE: 'true' }).notifications.webhookAllowPrivate,
    ).toBe(true);
  });

  it('sends through SMTP_URL from MAIL_FROM, with or without a display name', () => {
    const named = loadConfig({
      SMTP_URL: 'smtps://mailer:secret@smtp.example.com:465',
      MAIL_FROM: 'Career Sessions <sessions@example.com>',
    }).notifications.email;
    expect(named).toEqual({
      mode: 'smtp',
      url: 'smtps://mailer:secret@smtp.example.com:465',
      from: { name: 'Career Sessions', address: 'sessions@example.com' },
    });
    const bare = loadConfig({ SMTP_URL: 'smtp://smtp.example.com:587', MAIL_FROM: 'sessions@example.com' });
    expect(bare.notifications.email).toMatchObject({
      from: { name: 'Mentor sessions', address: 'sessions@example.com' },
    });
  });

  it('requires MAIL_FROM with SMTP_URL in production', () => {
    expect(refusalOf({ ...production, SMTP_URL: 'smtp://smtp.example.com:587' })).toMatch(
      /MAIL_FROM is required when SMTP_URL is set in production/,
    );
  });

  it('reads reminder offsets in minutes, hours and days, longest first, without repeats; none turns them off', () => {
    expect(loadConfig({ REMINDER_OFFSETS: '30m, 2d,1h,60m' }).notifications.reminderOffsetsMinutes).toEqual([
      2880, 60, 30,
    ]);
    expect(loadConfig({ REMINDER_OFFSETS: 'none' }).notifications.reminderOffsetsMinutes).toEqual([]);
  });

  it.each([
    [{ SMTP_URL: 'http://smtp.example.com' }, /SMTP_URL/],
    [{ SMTP_URL: 'not a url' }, /SMTP_URL/],
    [{ MAIL_FROM: 'Mentor sessions' }, /MAIL_FROM/],
    [{ MAIL_FROM: 'a <b>' }, /MAIL_FROM/],
    [{ REMINDER_OFFSETS: '24' }, /REMINDER_OFFSETS/],
    [{ REMINDER_OFFSETS: '24h,' }, /REMINDER_OFFSETS/],
    [{ REMINDER_OFFSETS: '31d' }, /REMINDER_OFFSETS/],
    [{ REMINDER_OFFSETS: '0m' }, /REMINDER_OFFSETS/],
    [{ OUTBOX_POLL_MS: '5' }, /OUTBOX_POLL_MS/],
    [{ OUTBOX_MAX_ATTEMPTS: '0' }, /OUTBOX_MAX_ATTEMPTS/],
    [{ OUTBOX_LEASE_MS: '10' }, /OUTBOX_LEASE_MS/],
    [{ WEBHOOK_ALLOW_PRIVATE: 'maybe' }, /WEBHOOK_ALLOW_PRIVATE/],
    [{ OUTBOX_DISPATCHER: 'sometimes' }, /OUTBOX_DISPATCHER/],
    [{ PUBLIC_BASE_URL: 'ftp://sessions.example.com' }, /PUBLIC_BASE_URL/],
  ])('refuses a bad notification variable with one line naming it: %o', (bad, pattern) => {
    expect(refusalOf(bad)).toMatch(pattern);
  });

  it('keeps the public address without a trailing slash for links and feeds', () => {
    expect(loadConfig({ PUBLIC_BASE_URL: 'https://sessions.example.com/' }).publicBaseUrl).toBe(
      'https://sessions.example.com',
    );
    expect(loadConfig({}).publicBaseUrl).toBeUndefined();
  });
});
