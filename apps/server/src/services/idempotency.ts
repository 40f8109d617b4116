import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { instantFromDb } from '../db/connection.js';
import type { ServiceContext } from './context.js';
import { AppError } from './errors.js';

/** Keys are remembered this long; a retry after that acts anew. */
export const KEY_LIFETIME_MS = 24 * 60 * 60 * 1000;

export interface IdempotentRequest {
  scope: string;
  key: string;
  requestHash: string;
}

/** Same request ⇔ same hash: the input without the key, with object keys in a stable order. */
export function requestHashOf(input: Record<string, unknown>): string {
  const { idempotency_key: _key, ...rest } = input;
  const canonical = JSON.stringify(rest, (_, value) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)))
      : value,
  );
  return createHash('sha256').update(canonical).digest('hex');
}

export function idempotentRequestOf(
  ctx: ServiceContext,
  operationId: string,
  input: Record<string, unknown> & { idempotency_key?: string | undefined },
): IdempotentRequest | null {
  if (input.idempotency_key === undefined) return null;
  return {
    scope: `${operationId}:${ctx.actor.label}`,
    key: input.idempotency_key,
    requestHash: requestHashOf(input),
  };
}

export interface StoredAnswer {
  status: number;
  body: unknown;
}

export interface IdempotencyKeyRow {
  request_hash: string;
  status_code: number;
  response_body: string;
  created_at: unknown;
}

/** The first answer to this key, or null; the same key with another request is refused. */
export async function storedAnswerOf(
  ctx: ServiceContext,
  request: IdempotentRequest,
  db: Knex | Knex.Transaction = ctx.db.knex,
): Promise<StoredAnswer | null> {
  const row = await db('idempotency_keys').where({ scope: request.scope, key: request.key }).first();
  return answerOfKeyRow(row, request, ctx.now());
}

/** What a stored key row answers a request now: nothing when absent or expired, a refusal for another request. */
export function answerOfKeyRow(
  row: IdempotencyKeyRow | undefined,
  request: IdempotentRequest,
  now: number,
): StoredAnswer | null {
  if (!row || instantFromDb(row.created_at) < now - KEY_LIFETIME_MS) return null;
  if (row.request_hash !== request.requestHash) {
    throw new AppError(
      'idempotency_key_reused',
      'This Idempotency-Key was already used with a different request',
    );
  }
  return { status: row.status_code, body: JSON.parse(row.response_body) };
}

/**
 * Records the answer. Called inside the transaction that made the change, so the change and its key
 * commit together: a concurrent retry either sees both or, losing the race on the key, rolls back.
 */
export async function storeAnswer(
  ctx: ServiceContext,
  db: Knex | Knex.Transaction,
  request: IdempotentRequest,
  answer: StoredAnswer,
): Promise<void> {
  await db('idempotency_keys')
    .where({ scope: request.scope, key: request.key })
    .where('created_at', '<', new Date(ctx.now() - KEY_LIFETIME_MS))
    .delete();
  await db('idempotency_keys').insert(keyRowOf(request, answer, ctx.now()));
}

export function keyRowOf(request: IdempotentRequest, answer: StoredAnswer, now: number) {
  return {
    scope: request.scope,
    key: request.key,
    request_hash: request.requestHash,
    status_code: answer.status,
    response_body: JSON.stringify(answer.body),
    created_at: new Date(now),
  };
}

/** Replaces the body of a stored answer, e.g. once what the first answer waited for is known. */
export async function restoreAnswerBody(
  db: Knex | Knex.Transaction,
  request: IdempotentRequest,
  body: unknown,
): Promise<void> {
  await db('idempotency_keys')
    .where({ scope: request.scope, key: request.key })
    .update({ response_body: JSON.stringify(body) });
}

/** Forgets the key, so that a retry acts anew: for a request whose change was undone. */
export async function forgetAnswer(db: Knex | Knex.Transaction, request: IdempotentRequest): Promise<void> {
  await db('idempotency_keys').where({ scope: request.scope, key: request.key }).delete();
}

export function isKeyCollision(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  return code === '23505' || Boolean(message?.includes('idempotency_keys'));
}

/** A stored refusal is replayed as the same error. */
export function replay<T>(answer: StoredAnswer): T {
  if (answer.status < 400) return answer.body as T;
  const problem = answer.body as {
    code: AppError['code'];
    detail: string;
    next_slots?: never;
    errors?: never;
  };
  throw new AppError(problem.code, problem.detail, {
    ...(problem.errors ? { errors: problem.errors } : {}),
    ...(problem.next_slots ? { next_slots: problem.next_slots } : {}),
  });
}
