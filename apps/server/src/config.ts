import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { isValidTimeZone, sessionDurations } from '@mentor-scheduling/contracts';
import { z } from 'zod';
import { DEFAULT_WEB_APP_DIRECTORY } from './http/web-app.js';
import type { ScryptCost } from './services/passwords.js';

const booleanFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((text) => ['true', '1', 'yes', 'on'].includes(text));

/** `30=2000,45=3000,60=4000`: rupees per duration. */
const priceTableFromEnv = z
  .string()
  .regex(
    /^\s*\d+\s*=\s*\d+(\.\d{1,2})?\s*(,\s*\d+\s*=\s*\d+(\.\d{1,2})?\s*)*$/,
    'expected e.g. 30=2000,45=3000,60=4000',
  )
  .transform((text) =>
    Object.fromEntries(
      text.split(',').map((entry) => {
        const [minutes, rupees] = entry.split('=').map((part) => part.trim());
        return [Number(minutes), Math.round(Number(rupees) * 100)];
      }),
    ),
  )
  .refine((table) => sessionDurations.every((minutes) => Number.isInteger(table[minutes])), {
    message: `needs a price for each of ${sessionDurations.join(', ')} minutes`,
  });

/** `Name <address>` or a bare address. */
const mailboxPattern = /^\s*(?:([^<>]*?)\s*<([^\s<>@]+@[^\s<>@]+)>|([^\s<>@]+@[^\s<>@]+))\s*$/;

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(5000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DB_CLIENT: z.enum(['better-sqlite3', 'sqlite3', 'pg']).default('better-sqlite3'),
  DB_FILENAME: z.string().min(1).default('./data/mentor-scheduling.sqlite'),
  DATABASE_URL: z.string().url().optional(),
  DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a PostgreSQL schema name: lower-case letters, digits and _')
    .optional(),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
  DEFAULT_TIMEZONE: z.string().refine(isValidTimeZone, 'not a known IANA time zone').default('Asia/Kolkata'),
  CORS_ORIGINS: z.string().default(''),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  SEED_DEMO: booleanFromEnv.optional(),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  METRICS_TOKEN: z
    .string()
    .regex(/^\S{16,}$/, 'must be at least 16 characters, without spaces (it is sent as a bearer token)')
    .optional(),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(10_485_760).default(102_400),
  SLOT_GRID_MINUTES: z.coerce.number().int().min(5).max(60).default(15),
  MIN_NOTICE_MINUTES: z.coerce.number().int().min(0).default(120),
  BOOKING_HORIZON_DAYS: z.coerce.number().int().min(1).max(366).default(60),
  CHANGE_CUTOFF_HOURS: z.coerce.number().min(0).max(720).default(12),
  AUTH_TOKEN_TTL_HOURS: z.coerce
    .number()
    .min(0.01)
    .max(24 * 90)
    .default(24),
  PASSWORD_SCRYPT_LOG2N: z.coerce.number().int().min(10).max(20).default(15),
  PASSWORD_SCRYPT_PARALLELISM: z.coerce.number().int().min(1).max(16).default(3),
  LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(100).default(5),
  LOGIN_MAX_FAILURES_PER_EMAIL: z.coerce.number().int().min(1).max(10_000).optional(),
  PASSWORD_HASH_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  PASSWORD_HASH_QUEUE: z.coerce.number().int().min(0).max(1000).default(8),
  SWEEP_INTERVAL_MINUTES: z.coerce
    .number()
    .min(0.1)
    .max(24 * 60)
    .default(5),
  LOGIN_LOCK_MINUTES: z.coerce
    .number()
    .min(1)
    .max(24 * 60)
    .default(15),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(10_000),
  KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(72_000),
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(600_000).default(5_000),
  RATE_LIMIT_MAX: z.coerce.number().int().min(1).default(600),
  AUTH_RATE_LIMIT_MAX: z.coerce.number().int().min(1).default(20),
  REDIS_URL: z.string().url().optional(),
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((text, context) => {
      const trust = trustedProxiesOf(text);
      if (trust === null) {
        context.addIssue({
          code: 'custom',
          message:
            'expected false, true (one proxy), a hop count, or a comma-separated list of proxy addresses/CIDRs',
        });
        return z.NEVER;
      }
      return trust;
    }),
  CURRENCY: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .default('INR'),
  PRICE_TABLE: priceTableFromEnv.prefault('30=2000,45=3000,60=4000'),
  PREMIUM_MULTIPLIER: z.coerce.number().min(1).max(10).default(1.5),
  PAYMENT_PROVIDER: z.enum(['none', 'stripe']).default('none'),
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_\w+$/, 'a Stripe secret key (sk_test_…, sk_live_… or a restricted rk_…)')
    .optional(),
  STRIPE_WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_\w+$/, 'a Stripe webhook signing secret (whsec_…)')
    .optional(),
  PAYMENT_HOLD_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(30),
  PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  STRIPE_API_BASE: z.url({ protocol: /^https?$/ }).optional(),
  OUTBOX_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
  OUTBOX_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(10_000),
  OUTBOX_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  OUTBOX_LEASE_MS: z.coerce.number().int().min(1000).max(3_600_000).default(120_000),
  OUTBOX_DISPATCHER: z.enum(['on', 'off']).default('on'),
  SMTP_URL: z.url({ protocol: /^smtps?$/, error: 'an smtp:// or smtps:// URL' }).optional(),
  MAIL_FROM: z
    .string()
    .regex(mailboxPattern, 'an address, or a name and an address: Mentor sessions <sessions@example.com>')
    .optional(),
  MAIL_DIR: z.string().min(1).default('./data/mail'),
  REMINDER_OFFSETS: z
    .string()
    .default('24h,1h')
    .transform((text, context) => {
      const offsets = reminderOffsetsOf(text);
      if (offsets === null) {
        context.addIssue({
          code: 'custom',
          message: 'expected durations before the start such as 24h,1h,30m (or none), each at most 30d',
        });
        return z.NEVER;
      }
      return offsets;
    }),
  WEBHOOK_ALLOW_PRIVATE: booleanFromEnv.default(false),
  WEB_APP_DIR: z.string().min(1).optional(),
});

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  database:
    | { client: 'better-sqlite3' | 'sqlite3'; filename: string }
    | {
        client: 'pg';
        url: string;
        poolMax: number;
        statementTimeoutMs: number;
        /** Schema the tables live in (the connection's search_path); the role's default when absent */
        schema?: string;
      };
  defaultTimezone: string;
  corsOrigins: string[] | '*';
  logLevel: string;
  seedDemo: boolean;
  adminToken: string | undefined;
  /** The bearer token GET /metrics asks for; unset, /metrics is open (a warning in production) */
  metricsToken: string | undefined;
  bodyLimitBytes: number;
  slotPolicy: { gridMinutes: number; minNoticeMinutes: number; horizonDays: number };
  /** Students cannot cancel or move a session this close to its start; admins can */
  changeCutoffHours: number;
  auth: {
    tokenTtlHours: number;
    /** scrypt cost of new hashes: N = 2^log2N (memory 128·N·8 bytes), p lanes (CPU N·p) */
    scrypt: ScryptCost;
    /** Login attempts per email and client address in one window */
    loginMaxFailures: number;
    /** Login attempts per email from all clients together in one window: the backstop */
    loginMaxFailuresPerEmail: number;
    /** The length of a login-attempt window */
    loginLockMinutes: number;
    /** Password hashes run at once (each holds 128·N·8 bytes off the heap) */
    hashConcurrency: number;
    /** Password hashes that may wait for a turn; beyond, 503 service_busy */
    hashQueue: number;
  };
  /** How often expired tokens, ended login windows and old idempotency keys are deleted */
  sweepIntervalMinutes: number;
  timeouts: {
    /** The whole request (headers and body) must arrive within this */
    requestMs: number;
    headersMs: number;
    /** Idle keep-alive connections close after this (longer than a load balancer's idle timeout) */
    keepAliveMs: number;
    /** On SIGTERM, requests in flight get this long; then every connection still open is closed */
    shutdownDrainMs: number;
  };
  rateLimit: { max: number; authMax: number; redisUrl: string | undefined };
  /**
   * Which peers' `X-Forwarded-For` is believed: none (false), the nearest N hops, or the listed proxy
   * addresses. Never "all": that would take the left-most entry, which any client can write.
   */
  trustProxy: TrustedProxies;
  pricing: { currency: string; pricesMinor: Record<number, number>; premiumMultiplier: number };
  payments: PaymentsConfig;
  /** Where people reach this service (links in emails, calendar feeds, payment returns); no trailing slash */
  publicBaseUrl: string | undefined;
  notifications: NotificationsConfig;
  /** The built web app served at `/` (apps/web/dist unless WEB_APP_DIR says otherwise) */
  webAppDirectory: string;
}

/** How the outbox tells people: email, reminders, webhooks, and its own pace. */
export interface NotificationsConfig {
  /**
   * Whether this process sends what the outbox holds. Off: it still writes every event with its
   * change, and other processes (with it on) send them.
   */
  dispatch: boolean;
  /** The dispatcher looks for new messages this often */
  pollMs: number;
  /** The first retry waits about this long; each next one three times longer (capped at an hour) */
  retryBaseMs: number;
  /** Tries before a message becomes a dead letter */
  maxAttempts: number;
  /**
   * How long a process owns a message it is sending; longer than any send may take (SMTP timeouts,
   * the 5 s webhook bound). A process that dies sending loses it after this, and another sends it.
   */
  leaseMs: number;
  /**
   * `smtp`: sent through SMTP_URL. `files`: written as .eml files (development without SMTP_URL).
   * `off`: not sent (production without SMTP_URL, and tests unless they set one).
   */
  email:
    | { mode: 'smtp'; url: string; from: MailboxConfig }
    | { mode: 'files'; directory: string; from: MailboxConfig }
    | { mode: 'off' };
  /** Minutes before a session's start at which both parties get a reminder, longest first */
  reminderOffsetsMinutes: number[];
  /** Webhooks may go to private and loopback addresses (always outside production) */
  webhookAllowPrivate: boolean;
}

export interface MailboxConfig {
  name: string;
  address: string;
}

function mailboxOf(text: string): MailboxConfig {
  const [, name, bracketed, bare] = mailboxPattern.exec(text) ?? [];
  return { name: name?.replace(/^"|"$/g, '') || 'Mentor sessions', address: (bracketed ?? bare) as string };
}

const REMINDER_UNIT_MINUTES: Record<string, number> = { m: 1, h: 60, d: 1440 };

/** `24h,1h`, `30m`, `none`: minutes before the start, longest first, no repeats. */
function reminderOffsetsOf(text: string): number[] | null {
  const value = text.trim().toLowerCase();
  if (value === 'none' || value === 'off') return [];
  const minutes: number[] = [];
  for (const entry of value.split(',')) {
    const match = /^(\d{1,5})\s*([mhd])$/.exec(entry.trim());
    if (!match) return null;
    const offset = Number(match[1]) * (REMINDER_UNIT_MINUTES[match[2] as string] as number);
    if (offset < 1 || offset > 30 * 1440) return null;
    minutes.push(offset);
  }
  return [...new Set(minutes)].sort((a, b) => b - a);
}

/**
 * `none`: bookings are confirmed at once (the first backend's behaviour). `stripe`: a booking holds
 * its slot while the student pays through Stripe Checkout, and Stripe's signed events confirm it.
 */
export type PaymentsConfig =
  | { provider: 'none' }
  | {
      provider: 'stripe';
      secretKey: string;
      webhookSecret: string;
      /** How long a new booking holds its slot for payment */
      holdMinutes: number;
      /** Where Checkout sends the student back (no trailing slash) */
      publicBaseUrl: string;
      /** A stand-in of Stripe's API (tests); unset: Stripe itself */
      apiBase: string | undefined;
    };

export type TrustedProxies = false | number | string[];

const cidrOrAddress = (entry: string) => {
  const [address = '', prefix, ...rest] = entry.split('/');
  if (rest.length > 0 || isIP(address) === 0) return false;
  if (prefix === undefined) return true;
  const maxPrefix = isIP(address) === 4 ? 32 : 128;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix;
};

/**
 * `TRUST_PROXY`: `false` (the socket's address is the client), `true` (one proxy in front: the
 * right-most forwarded address, the one that proxy saw), a hop count, or the proxies' addresses.
 */
function trustedProxiesOf(text: string): TrustedProxies | null {
  const value = text.trim().toLowerCase();
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  if (['true', 'yes', 'on'].includes(value)) return 1;
  if (/^\d{1,2}$/.test(value)) return Number(value);
  const entries = value.split(',').map((entry) => entry.trim());
  return entries.length > 0 && entries.every(cidrOrAddress) ? entries : null;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Turns the environment into a typed config, or throws one line that names every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(emptyToUndefined(env));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const vars = parsed.data;
  if (vars.DB_CLIENT === 'pg' && !vars.DATABASE_URL) {
    throw new ConfigError('Invalid configuration: DATABASE_URL is required when DB_CLIENT=pg');
  }
  const payments = paymentsConfigOf(vars);
  const corsList = vars.CORS_ORIGINS.split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  return {
    env: vars.NODE_ENV,
    port: vars.PORT,
    host: vars.HOST,
    database:
      vars.DB_CLIENT === 'pg'
        ? {
            client: 'pg',
            url: vars.DATABASE_URL as string,
            poolMax: vars.DB_POOL_MAX,
            statementTimeoutMs: vars.DB_STATEMENT_TIMEOUT_MS,
            ...(vars.DB_SCHEMA ? { schema: vars.DB_SCHEMA } : {}),
          }
        : { client: vars.DB_CLIENT, filename: vars.DB_FILENAME },
    defaultTimezone: vars.DEFAULT_TIMEZONE,
    corsOrigins: corsList.includes('*') ? '*' : corsList,
    logLevel: vars.LOG_LEVEL ?? (vars.NODE_ENV === 'test' ? 'silent' : 'info'),
    seedDemo: vars.SEED_DEMO ?? vars.NODE_ENV !== 'production',
    adminToken: vars.ADMIN_TOKEN,
    metricsToken: vars.METRICS_TOKEN,
    bodyLimitBytes: vars.BODY_LIMIT_BYTES,
    slotPolicy: {
      gridMinutes: vars.SLOT_GRID_MINUTES,
      minNoticeMinutes: vars.MIN_NOTICE_MINUTES,
      horizonDays: vars.BOOKING_HORIZON_DAYS,
    },
    changeCutoffHours: vars.CHANGE_CUTOFF_HOURS,
    auth: {
      tokenTtlHours: vars.AUTH_TOKEN_TTL_HOURS,
      scrypt: { log2N: vars.PASSWORD_SCRYPT_LOG2N, parallelism: vars.PASSWORD_SCRYPT_PARALLELISM },
      loginMaxFailures: vars.LOGIN_MAX_FAILURES,
      loginMaxFailuresPerEmail: vars.LOGIN_MAX_FAILURES_PER_EMAIL ?? vars.LOGIN_MAX_FAILURES * 10,
      loginLockMinutes: vars.LOGIN_LOCK_MINUTES,
      hashConcurrency: vars.PASSWORD_HASH_CONCURRENCY,
      hashQueue: vars.PASSWORD_HASH_QUEUE,
    },
    sweepIntervalMinutes: vars.SWEEP_INTERVAL_MINUTES,
    timeouts: {
      requestMs: vars.REQUEST_TIMEOUT_MS,
      headersMs: vars.HEADERS_TIMEOUT_MS,
      keepAliveMs: vars.KEEP_ALIVE_TIMEOUT_MS,
      shutdownDrainMs: vars.SHUTDOWN_DRAIN_MS,
    },
    rateLimit: { max: vars.RATE_LIMIT_MAX, authMax: vars.AUTH_RATE_LIMIT_MAX, redisUrl: vars.REDIS_URL },
    trustProxy: vars.TRUST_PROXY,
    pricing: {
      currency: vars.CURRENCY,
      pricesMinor: vars.PRICE_TABLE,
      premiumMultiplier: vars.PREMIUM_MULTIPLIER,
    },
    payments,
    publicBaseUrl: vars.PUBLIC_BASE_URL?.replace(/\/+$/, ''),
    notifications: notificationsConfigOf(vars),
    webAppDirectory: vars.WEB_APP_DIR ?? DEFAULT_WEB_APP_DIRECTORY,
  };
}

function notificationsConfigOf(vars: z.output<typeof envSchema>): NotificationsConfig {
  if (vars.NODE_ENV === 'production' && vars.SMTP_URL !== undefined && vars.MAIL_FROM === undefined) {
    throw new ConfigError('Invalid configuration: MAIL_FROM is required when SMTP_URL is set in production');
  }
  const from = mailboxOf(vars.MAIL_FROM ?? 'Mentor sessions <sessions@localhost>');
  return {
    dispatch: vars.OUTBOX_DISPATCHER === 'on',
    pollMs: vars.OUTBOX_POLL_MS,
    retryBaseMs: vars.OUTBOX_RETRY_BASE_MS,
    maxAttempts: vars.OUTBOX_MAX_ATTEMPTS,
    leaseMs: vars.OUTBOX_LEASE_MS,
    email: vars.SMTP_URL
      ? { mode: 'smtp', url: vars.SMTP_URL, from }
      : vars.NODE_ENV === 'development'
        ? { mode: 'files', directory: vars.MAIL_DIR, from }
        : { mode: 'off' },
    reminderOffsetsMinutes: vars.REMINDER_OFFSETS,
    webhookAllowPrivate: vars.NODE_ENV !== 'production' || vars.WEBHOOK_ALLOW_PRIVATE,
  };
}

function paymentsConfigOf(vars: z.output<typeof envSchema>): PaymentsConfig {
  if (vars.PAYMENT_PROVIDER === 'none') return { provider: 'none' };
  const missing = ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET'].filter(
    (name) => vars[name as 'STRIPE_SECRET_KEY' | 'STRIPE_WEBHOOK_SECRET'] === undefined,
  );
  if (vars.NODE_ENV === 'production' && vars.PUBLIC_BASE_URL === undefined) missing.push('PUBLIC_BASE_URL');
  if (missing.length > 0) {
    throw new ConfigError(
      `Invalid configuration: ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} required when PAYMENT_PROVIDER=stripe`,
    );
  }
  if (vars.NODE_ENV === 'production' && vars.STRIPE_API_BASE !== undefined) {
    throw new ConfigError(
      'Invalid configuration: STRIPE_API_BASE points payments at a stand-in of Stripe; it is for tests, not production',
    );
  }
  return {
    provider: 'stripe',
    secretKey: vars.STRIPE_SECRET_KEY as string,
    webhookSecret: vars.STRIPE_WEBHOOK_SECRET as string,
    holdMinutes: vars.PAYMENT_HOLD_MINUTES,
    publicBaseUrl: (vars.PUBLIC_BASE_URL ?? `http://localhost:${vars.PORT}`).replace(/\/+$/, ''),
    apiBase: vars.STRIPE_API_BASE,
  };
}

/** An empty variable (`PORT=`) means "not set", as most tools treat it. */
function emptyToUndefined(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(env).map(([key, value]) => [key, value === '' ? undefined : value]),
  );
}

/** Reads `.env` from the working directory when there is one; real environment variables win. */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}
