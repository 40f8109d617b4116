import { errorCodes, LoginSchema, RegisterSchema } from '@mentor-scheduling/contracts';
import { TRPCClientError } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import { describeError, errorCodeOf, errorSentences, formIssueMessage, shouldRetry } from '../src/errors.js';
import { problemEnvelope } from './harness.js';

/** The error the tRPC client throws for a refusal the server answered. */
function refusal(...args: Parameters<typeof problemEnvelope>) {
  return TRPCClientError.from(problemEnvelope(...args).body);
}

describe('errorSentences', () => {
  it.each(errorCodes)('says what %s means and what to do, in full sentences', (code) => {
    const sentence = errorSentences[code];
    expect(sentence.message).toMatch(/^[A-Z].{9,}[.]$/);
    expect(sentence.next).toMatch(/^[A-Z].{9,}[.]$/);
    // A sentence for people, not the code spelled out.
    expect(sentence.message).not.toContain(code);
  });

  it('has a sentence for exactly the contract’s codes', () => {
    expect(Object.keys(errorSentences).sort()).toEqual([...errorCodes].sort());
  });
});

describe('describeError', () => {
  it('reads the contract code of a refusal the server answered', () => {
    const described = describeError(refusal('bookings.create', { problem: 'slot_taken' }));
    expect(described).toEqual({
      code: 'slot_taken',
      message: 'Someone booked that time just before you.',
      next: 'Pick another time; the nearest free ones are shown.',
    });
    expect(errorCodeOf(refusal('auth.me', { problem: 'unauthenticated' }))).toBe('unauthenticated');
  });

  it('keeps the field errors of an invalid request', () => {
    const errors = [{ path: '/duration', message: 'duration must be 30, 45 or 60 minutes' }];
    const described = describeError(refusal('bookings.create', { problem: 'invalid_request', errors }));
    expect(described.code).toBe('invalid_request');
    expect(described.fields).toEqual(errors);
  });

  it('calls a request that got no answer a network problem', () => {
    expect(describeError(new TypeError('Failed to fetch')).code).toBe('network');
    const unreachable = TRPCClientError.from(new TypeError('fetch failed'));
    expect(describeError(unreachable)).toEqual({
      code: 'network',
      message: 'We could not reach the server.',
      next: 'Check your internet connection, then try again.',
    });
  });

  it('says something went wrong for anything else', () => {
    expect(describeError(new Error('a bug')).code).toBe('unknown');
    expect(describeError('text').code).toBe('unknown');
    expect(describeError(undefined).message).toBe('Something unexpected went wrong.');
    // A code this build of the app does not know (a newer server) is not trusted as one.
    const newer = TRPCClientError.from({
      error: { code: -32009, message: 'A new refusal', data: { appCode: 'brand_new_code', httpStatus: 409 } },
    });
    expect(describeError(newer).code).toBe('unknown');
  });
});

describe('shouldRetry', () => {
  it('retries only what trying again can mend, at most twice', () => {
    expect(shouldRetry(0, refusal('mentors.list', { problem: 'service_busy' }))).toBe(true);
    expect(shouldRetry(0, TRPCClientError.from(new TypeError('fetch failed')))).toBe(true);
    expect(shouldRetry(2, refusal('mentors.list', { problem: 'service_busy' }))).toBe(false);
    expect(shouldRetry(0, refusal('auth.me', { problem: 'unauthenticated' }))).toBe(false);
    expect(shouldRetry(0, refusal('bookings.get', { problem: 'not_found' }))).toBe(false);
    expect(shouldRetry(0, new Error('a bug'))).toBe(false);
  });
});

describe('formIssueMessage', () => {
  function messagesOf(result: {
    success: boolean;
    error?: { issues: { path: PropertyKey[]; message: string }[] };
  }) {
    return Object.fromEntries(
      (result.error?.issues ?? []).map((issue) => [issue.path.join('.'), issue.message]),
    );
  }

  it('words zod’s default messages plainly', () => {
    const empty = LoginSchema.safeParse({ email: '', password: '' }, { error: formIssueMessage });
    expect(messagesOf(empty)).toEqual({ email: 'Fill this in.', password: 'Fill this in.' });
    const notAnEmail = LoginSchema.safeParse({ email: 'aarav', password: 'x' }, { error: formIssueMessage });
    expect(messagesOf(notAnEmail)).toEqual({ email: 'Enter an email address, like name@example.com.' });
  });

  it('keeps the messages the contract spells out itself', () => {
    const short = RegisterSchema.safeParse(
      { name: 'Ira', email: 'ira@example.com', password: 'short' },
      { error: formIssueMessage },
    );
    expect(messagesOf(short)).toEqual({ password: 'Use at least 10 characters' });
  });
});
