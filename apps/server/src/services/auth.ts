import { createHash, randomBytes } from 'node:crypto';
import type { Account, OperationInput, Operations } from '@mentor-scheduling/contracts';
import type { Knex } from 'knex';
import type { Config } from '../config.js';
import type { Database } from '../db/connection.js';
import { instantFromDb } from '../db/connection.js';
import { toIsoUtc } from '../domain/time.js';
import type { Actor, ServiceContext } from './context.js';
import { AppError, invalidInput, notFound } from './errors.js';
import { hashPassword, verifyAgainstDecoy, verifyPassword } from './passwords.js';
import { createStudent, isUniqueViolation } from './students.js';

const TOKEN_PREFIX = 'mst_';
const MINUTE = 60_000;

interface AccountRow {
  id: number;
  email: string;
  role: Account['role'];
  student_id: number | null;
  mentor_id: number | null;
  password_hash: string;
  created_at: unknown;
}

export function tokenHashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function presentAccount(row: AccountRow): Account {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    student_id: row.student_id,
    mentor_id: row.mentor_id,
    created_at: toIsoUtc(instantFromDb(row.created_at)),
  };
}

const anonymous: Actor = { role: 'anonymous', label: 'anonymous' };
const operator: Actor = { role: 'admin', label: 'operator' };

function invalidToken(): AppError {
  return new AppError('unauthenticated', 'The bearer token is not valid, has expired or was revoked', {
    headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
  });
}

/**
 * The caller of a request. No Authorization header: anonymous. The operator token: admin. A session
 * token: its account. Anything else is refused rather than silently treated as anonymous.
 */
export async function actorOf(
  db: Database,
  config: Config,
  authorization: string | undefined,
  now: number,
  isOperatorToken: (token: string) => boolean,
): Promise<Actor> {
  if (authorization === undefined) return anonymous;
  const token = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
  if (!token) throw invalidToken();
  if (config.adminToken && isOperatorToken(token)) return operator;
  if (!token.startsWith(TOKEN_PREFIX)) throw invalidToken();
  const tokenHash = tokenHashOf(token);
  const row = await db
    .knex('auth_tokens')
    .join('accounts', 'accounts.id', 'auth_tokens.account_id')
    .select(
      'accounts.id',
      'accounts.role',
      'accounts.student_id',
      'accounts.mentor_id',
      'auth_tokens.expires_at',
    )
    .where('auth_tokens.token_hash', tokenHash)
    .whereNull('auth_tokens.revoked_at')
    .first();
  if (!row || instantFromDb(row.expires_at) <= now) throw invalidToken();
  return {
    role: row.role,
    label: `account:${row.id}`,
    accountId: row.id,
    ...(row.student_id === null ? {} : { studentId: row.student_id }),
    ...(row.mentor_id === null ? {} : { mentorId: row.mentor_id }),
    tokenHash,
  };
}

async function issueToken(ctx: ServiceContext, db: Knex | Knex.Transaction, account: AccountRow) {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const now = ctx.now();
  const expiresAt = now + ctx.config.auth.tokenTtlHours * 60 * MINUTE;
  await db('auth_tokens').insert({
    account_id: account.id,
    token_hash: tokenHashOf(token),
    created_at: new Date(now),
    expires_at: new Date(expiresAt),
  });
  return {
    token,
    token_type: 'Bearer' as const,
    expires_at: toIsoUtc(expiresAt),
    account: presentAccount(account),
  };
}

async function accountByEmail(db: Knex | Knex.Transaction, email: string): Promise<AccountRow | undefined> {
  return db('accounts').where('email_normalized', email.trim().toLowerCase()).first();
}

async function refuseTakenAccountEmail(db: Knex | Knex.Transaction, email: string): Promise<void> {
  if (await accountByEmail(db, email)) throw new AppError('email_taken', 'That email is already registered');
}

export async function register(ctx: ServiceContext, input: OperationInput<Operations['auth']['register']>) {
  await refuseTakenAccountEmail(ctx.db.knex, input.email);
  const passwordHash = await hashPassword(input.password, ctx.config.auth.scryptLog2N);
  let accountId = 0;
  await createStudent(
    ctx,
    {
      name: input.name,
      email: input.email,
      timezone: input.timezone,
      area_of_interest: input.area_of_interest,
    },
    async (trx, studentId) => {
      [accountId] = (await trx('accounts')
        .insert({
          email: input.email,
          email_normalized: input.email.toLowerCase(),
          password_hash: passwordHash,
          role: 'student',
          student_id: studentId,
          created_at: new Date(ctx.now()),
        })
        .returning('id')
        .then((rows) =>
          rows.map((row: number | { id: number }) => (typeof row === 'object' ? row.id : row)),
        )) as [number];
    },
  );
  const account = (await ctx.db.knex('accounts').where('id', accountId).first()) as AccountRow;
  return issueToken(ctx, ctx.db.knex, account);
}

/**
 * Throttles guessing per email (known or not): after LOGIN_MAX_FAILURES failures in a lock period,
 * further attempts are refused until it ends, with the same answer whether the account exists.
 */
async function refuseWhileLocked(ctx: ServiceContext, emailKey: string): Promise<void> {
  const attempt = await ctx.db.knex('login_attempts').where('email_normalized', emailKey).first();
  const lockedUntil =
    attempt?.locked_until === null || attempt === undefined ? 0 : instantFromDb(attempt.locked_until);
  if (lockedUntil > ctx.now()) {
    const seconds = Math.ceil((lockedUntil - ctx.now()) / 1000);
    throw new AppError('rate_limited', 'Too many failed logins for this email; try again later', {
      headers: { 'retry-after': String(seconds) },
    });
  }
}

async function recordFailure(ctx: ServiceContext, emailKey: string): Promise<void> {
  const { loginMaxFailures, loginLockMinutes } = ctx.config.auth;
  const now = ctx.now();
  const windowMs = loginLockMinutes * MINUTE;
  await ctx.db.knex.transaction(async (trx) => {
    const attempt = await trx('login_attempts').where('email_normalized', emailKey).first();
    const fresh = !attempt || instantFromDb(attempt.window_started_at) < now - windowMs;
    const failures = fresh ? 1 : attempt.failures + 1;
    const row = {
      email_normalized: emailKey,
      failures,
      window_started_at: new Date(fresh ? now : instantFromDb(attempt.window_started_at)),
      locked_until: failures >= loginMaxFailures ? new Date(now + windowMs) : null,
    };
    await trx('login_attempts').insert(row).onConflict('email_normalized').merge();
  });
}

export async function login(ctx: ServiceContext, input: OperationInput<Operations['auth']['login']>) {
  const emailKey = input.email.trim().toLowerCase();
  await refuseWhileLocked(ctx, emailKey);
  const account = await accountByEmail(ctx.db.knex, emailKey);
  const valid = account
    ? await verifyPassword(input.password, account.password_hash)
    : await verifyAgainstDecoy(input.password, ctx.config.auth.scryptLog2N);
  if (!account || !valid) {
    await recordFailure(ctx, emailKey);
    ctx.log.warn({ event: 'login_failed' }, 'failed login');
    throw new AppError('invalid_credentials', 'Wrong email or password');
  }
  await ctx.db.knex('login_attempts').where('email_normalized', emailKey).delete();
  return issueToken(ctx, ctx.db.knex, account);
}

export async function logout(ctx: ServiceContext) {
  if (!ctx.actor.tokenHash)
    throw invalidInput('/', 'The operator token cannot be revoked; change ADMIN_TOKEN instead');
  await ctx.db
    .knex('auth_tokens')
    .where('token_hash', ctx.actor.tokenHash)
    .update({ revoked_at: new Date(ctx.now()) });
  return { revoked: true as const };
}

const operatorAccount: Account = {
  id: 0,
  email: 'operator',
  role: 'admin',
  student_id: null,
  mentor_id: null,
  created_at: toIsoUtc(0),
};

export async function me(ctx: ServiceContext): Promise<Account> {
  if (ctx.actor.accountId === undefined) return operatorAccount;
  return presentAccount(await ctx.db.knex('accounts').where('id', ctx.actor.accountId).first());
}

export async function createAccount(
  ctx: ServiceContext,
  input: OperationInput<Operations['auth']['createAccount']>,
): Promise<Account> {
  if (input.role === 'mentor' && input.mentor_id === undefined) {
    throw invalidInput('/mentor_id', 'A mentor account needs mentor_id');
  }
  if (input.role === 'admin' && input.mentor_id !== undefined) {
    throw invalidInput('/mentor_id', 'An admin account is not linked to a mentor');
  }
  if (input.mentor_id !== undefined) {
    if (!(await ctx.db.knex('mentors').where('id', input.mentor_id).first()))
      throw notFound('Mentor', input.mentor_id);
    if (await ctx.db.knex('accounts').where('mentor_id', input.mentor_id).first()) {
      throw new AppError('account_exists', `Mentor ${input.mentor_id} already has an account`);
    }
  }
  await refuseTakenAccountEmail(ctx.db.knex, input.email);
  const passwordHash = await hashPassword(input.password, ctx.config.auth.scryptLog2N);
  try {
    const [inserted] = await ctx.db
      .knex('accounts')
      .insert({
        email: input.email,
        email_normalized: input.email.toLowerCase(),
        password_hash: passwordHash,
        role: input.role,
        mentor_id: input.mentor_id ?? null,
        created_at: new Date(ctx.now()),
      })
      .returning('id');
    const id = typeof inserted === 'object' ? inserted.id : inserted;
    return presentAccount(await ctx.db.knex('accounts').where('id', id).first());
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('email_taken', 'That email is already registered');
    throw error;
  }
}
