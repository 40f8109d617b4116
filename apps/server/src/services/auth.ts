import { createHash, randomBytes } from 'node:crypto';
import type { Account, OperationInput, Operations } from '@mentor-scheduling/contracts';
import type { Knex } from 'knex';
import type { Config } from '../config.js';
import type { Database } from '../db/connection.js';
import { instantFromDb } from '../db/connection.js';
import { toIsoUtc } from '../domain/time.js';
import type { Actor, ServiceContext } from './context.js';
import { AppError, invalidInput, notFound } from './errors.js';
import { needsRehash } from './passwords.js';
import { createStudent, isUniqueViolation, refuseTakenEmail } from './students.js';

const TOKEN_PREFIX = 'mst_';
const MINUTE = 60_000;

interface AccountRow {
  id: number;
  email: string;
  email_normalized: string;
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
    // A token issued while its student was being erased (a login that raced the erasure) is void.
    .leftJoin('students', 'students.id', 'accounts.student_id')
    .whereNull('students.erased_at')
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

export async function register(ctx: ServiceContext, input: OperationInput<Operations['auth']['register']>) {
  // Hashed before the email is looked up: a taken email then costs as long as a new one.
  const passwordHash = await ctx.passwords.hash(input.password);
  await refuseTakenEmail(ctx.db.knex, input.email);
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

/** The row counting the attempts on an email from every client together: the backstop. */
const EVERY_CLIENT = '*';

interface CountedAttempt {
  client: string;
  windowEndsAt: unknown;
}

/**
 * One attempt at a password, counted before it is checked: the per-client row and the per-email
 * backstop row each take the attempt in one atomic upsert, which refuses (updates nothing, returns
 * nothing) when that row's budget for its window is spent; both rows are taken in one transaction or
 * neither. Concurrent attempts, from one process or many, thus never pass more checks than the budget
 * allows. Refused while either budget is spent, whether or not the password is right, and the same
 * way whether or not the account exists.
 */
async function countLoginAttempt(ctx: ServiceContext, emailKey: string): Promise<CountedAttempt[]> {
  const { loginMaxFailures, loginMaxFailuresPerEmail, loginLockMinutes } = ctx.config.auth;
  const now = ctx.now();
  const budgets = [
    { client: ctx.clientAddress, max: loginMaxFailures },
    { client: EVERY_CLIENT, max: loginMaxFailuresPerEmail },
  ];
  return ctx.db.knex.transaction(async (trx) => {
    const counted: CountedAttempt[] = [];
    for (const { client, max } of budgets) {
      const windowEndsAt = await takeAttempt(trx, { emailKey, client, max, now }, loginLockMinutes * MINUTE);
      if (windowEndsAt === null) throw await loginLocked(trx, emailKey, client, now);
      counted.push({ client, windowEndsAt });
    }
    return counted;
  });
}

/** The end of the row's window when the attempt was taken, or null when its budget is spent. */
async function takeAttempt(
  trx: Knex.Transaction,
  { emailKey, client, max, now }: { emailKey: string; client: string; max: number; now: number },
  windowMs: number,
): Promise<unknown> {
  const at = new Date(now);
  const result = await trx.raw(
    `insert into login_attempts (email_normalized, client, attempts, window_ends_at)
     values (?, ?, 1, ?)
     on conflict (email_normalized, client) do update set
       attempts = case when login_attempts.window_ends_at <= ? then 1 else login_attempts.attempts + 1 end,
       window_ends_at = case when login_attempts.window_ends_at <= ? then excluded.window_ends_at
                             else login_attempts.window_ends_at end
     where login_attempts.window_ends_at <= ? or login_attempts.attempts < ?
     returning window_ends_at`,
    [emailKey, client, new Date(now + windowMs), at, at, at, max],
  );
  const rows = (Array.isArray(result) ? result : result.rows) as { window_ends_at: unknown }[];
  return rows[0]?.window_ends_at ?? null;
}

async function loginLocked(trx: Knex.Transaction, emailKey: string, client: string, now: number) {
  const row = await trx('login_attempts').where({ email_normalized: emailKey, client }).first();
  const seconds = Math.max(1, Math.ceil((instantFromDb(row?.window_ends_at ?? now) - now) / 1000));
  return new AppError('rate_limited', 'Too many failed logins for this email; try again later', {
    headers: { 'retry-after': String(seconds) },
  });
}

/**
 * Gives back an attempt that turned out right, or that was never checked (the hashing queue was
 * full). Only within the window it was counted in; wrong guesses stay counted until it ends, so a
 * success cannot clear the way for guesses made at the same time.
 */
async function giveBackLoginAttempt(ctx: ServiceContext, emailKey: string, counted: CountedAttempt[]) {
  await ctx.db.knex.transaction(async (trx) => {
    for (const { client, windowEndsAt } of counted) {
      await trx('login_attempts')
        .where({ email_normalized: emailKey, client, window_ends_at: windowEndsAt })
        .where('attempts', '>', 0)
        .decrement('attempts', 1);
    }
  });
}

/**
 * Checks a password against an account (or, with none, against a decoy at the same cost), counted
 * as a login attempt on `emailKey`: refused beforehand when its budget is spent, given back when
 * right.
 */
async function checkPasswordCounted(
  ctx: ServiceContext,
  emailKey: string,
  account: AccountRow | undefined,
  password: string,
): Promise<boolean> {
  const counted = await countLoginAttempt(ctx, emailKey);
  let valid: boolean;
  try {
    valid = account
      ? await ctx.passwords.verify(password, account.password_hash)
      : await ctx.passwords.verifyAgainstDecoy(password);
  } catch (error) {
    await giveBackLoginAttempt(ctx, emailKey, counted);
    throw error;
  }
  if (valid) await giveBackLoginAttempt(ctx, emailKey, counted);
  return valid;
}

export async function login(ctx: ServiceContext, input: OperationInput<Operations['auth']['login']>) {
  const emailKey = input.email.trim().toLowerCase();
  const account = await accountByEmail(ctx.db.knex, emailKey);
  if (!(await checkPasswordCounted(ctx, emailKey, account, input.password)) || !account) {
    ctx.log.warn({ event: 'login_failed' }, 'failed login');
    throw new AppError('invalid_credentials', 'Wrong email or password');
  }
  await upgradePasswordHash(ctx, account, input.password);
  return issueToken(ctx, ctx.db.knex, account);
}

/**
 * A hash made at another cost than the configured one is made anew while the password is at hand,
 * so a change of PASSWORD_SCRYPT_* reaches every account that logs in. When the hasher is busy the
 * login still succeeds; the upgrade waits for the next one.
 */
async function upgradePasswordHash(ctx: ServiceContext, account: AccountRow, password: string) {
  if (!needsRehash(account.password_hash, ctx.config.auth.scrypt)) return;
  let rehashed: string;
  try {
    rehashed = await ctx.passwords.hash(password);
  } catch (error) {
    if (error instanceof AppError && error.code === 'service_busy') return;
    throw error;
  }
  // Only over the hash that was checked: a password changed meanwhile is not overwritten.
  await ctx.db
    .knex('accounts')
    .where({ id: account.id, password_hash: account.password_hash })
    .update({ password_hash: rehashed });
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
  const passwordHash = await ctx.passwords.hash(input.password);
  await refuseTakenEmail(ctx.db.knex, input.email);
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

/** Revokes the account's tokens that still work, except `keepTokenHash`; answers how many. */
export async function revokeTokensOf(
  ctx: ServiceContext,
  db: Knex | Knex.Transaction,
  accountId: number,
  keepTokenHash?: string,
): Promise<number> {
  const now = ctx.now();
  const query = db('auth_tokens')
    .where('account_id', accountId)
    .whereNull('revoked_at')
    .where('expires_at', '>', new Date(now));
  if (keepTokenHash) query.whereNot('token_hash', keepTokenHash);
  return query.update({ revoked_at: new Date(now) });
}

function accountOfCaller(ctx: ServiceContext): number {
  if (ctx.actor.accountId === undefined)
    throw invalidInput('/', 'The operator token belongs to no account; change ADMIN_TOKEN instead');
  return ctx.actor.accountId;
}

export async function logoutAll(ctx: ServiceContext) {
  return { tokens_revoked: await revokeTokensOf(ctx, ctx.db.knex, accountOfCaller(ctx)) };
}

export async function changePassword(
  ctx: ServiceContext,
  input: OperationInput<Operations['auth']['changePassword']>,
) {
  const accountId = accountOfCaller(ctx);
  const account = (await ctx.db.knex('accounts').where('id', accountId).first()) as AccountRow;
  // A stolen token must not become a faster way to guess the password than logging in.
  if (!(await checkPasswordCounted(ctx, account.email_normalized, account, input.current_password))) {
    throw invalidInput('/current_password', 'The current password is wrong');
  }
  const passwordHash = await ctx.passwords.hash(input.new_password);
  const tokensRevoked = await ctx.db.knex.transaction(async (trx) => {
    await trx('accounts').where('id', accountId).update({ password_hash: passwordHash });
    return revokeTokensOf(ctx, trx, accountId, ctx.actor.tokenHash);
  });
  return { tokens_revoked: tokensRevoked };
}

export async function revokeTokens(
  ctx: ServiceContext,
  input: OperationInput<Operations['auth']['revokeTokens']>,
) {
  if (!(await ctx.db.knex('accounts').where('id', input.id).first())) throw notFound('Account', input.id);
  const tokensRevoked = await revokeTokensOf(ctx, ctx.db.knex, input.id);
  ctx.log.info({ event: 'tokens_revoked', account: input.id, by: ctx.actor.label }, 'account tokens revoked');
  return { tokens_revoked: tokensRevoked };
}
