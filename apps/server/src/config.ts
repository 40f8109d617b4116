import { existsSync } from 'node:fs';
import { isValidTimeZone, sessionDurations } from '@mentor-scheduling/contracts';
import { z } from 'zod';

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
  PASSWORD_SCRYPT_LOG2N: z.coerce.number().int().min(10).max(20).default(17),
  LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(100).default(5),
  LOGIN_LOCK_MINUTES: z.coerce
    .number()
    .min(1)
    .max(24 * 60)
    .default(15),
  RATE_LIMIT_MAX: z.coerce.number().int().min(1).default(600),
  AUTH_RATE_LIMIT_MAX: z.coerce.number().int().min(1).default(20),
  REDIS_URL: z.string().url().optional(),
  TRUST_PROXY: booleanFromEnv.default(false),
  CURRENCY: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .default('INR'),
  PRICE_TABLE: priceTableFromEnv.prefault('30=2000,45=3000,60=4000'),
  PREMIUM_MULTIPLIER: z.coerce.number().min(1).max(10).default(1.5),
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
  bodyLimitBytes: number;
  slotPolicy: { gridMinutes: number; minNoticeMinutes: number; horizonDays: number };
  /** Students cannot cancel or move a session this close to its start; admins can */
  changeCutoffHours: number;
  auth: {
    tokenTtlHours: number;
    /** scrypt cost: N = 2^log2N (memory 128·N·8 bytes) */
    scryptLog2N: number;
    loginMaxFailures: number;
    loginLockMinutes: number;
  };
  rateLimit: { max: number; authMax: number; redisUrl: string | undefined };
  trustProxy: boolean;
  pricing: { currency: string; pricesMinor: Record<number, number>; premiumMultiplier: number };
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
    bodyLimitBytes: vars.BODY_LIMIT_BYTES,
    slotPolicy: {
      gridMinutes: vars.SLOT_GRID_MINUTES,
      minNoticeMinutes: vars.MIN_NOTICE_MINUTES,
      horizonDays: vars.BOOKING_HORIZON_DAYS,
    },
    changeCutoffHours: vars.CHANGE_CUTOFF_HOURS,
    auth: {
      tokenTtlHours: vars.AUTH_TOKEN_TTL_HOURS,
      scryptLog2N: vars.PASSWORD_SCRYPT_LOG2N,
      loginMaxFailures: vars.LOGIN_MAX_FAILURES,
      loginLockMinutes: vars.LOGIN_LOCK_MINUTES,
    },
    rateLimit: { max: vars.RATE_LIMIT_MAX, authMax: vars.AUTH_RATE_LIMIT_MAX, redisUrl: vars.REDIS_URL },
    trustProxy: vars.TRUST_PROXY,
    pricing: {
      currency: vars.CURRENCY,
      pricesMinor: vars.PRICE_TABLE,
      premiumMultiplier: vars.PREMIUM_MULTIPLIER,
    },
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
