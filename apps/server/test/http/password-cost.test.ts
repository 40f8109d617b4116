import { randomBytes, scryptSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { hashPassword, needsRehash, verifyPassword } from '../../src/services/passwords.js';
import { anonymously, startTestApp, type TestApp } from '../support/app.js';

/** A hash as stored before the scrypt parallelism was recorded: `scrypt$<log2N>$<salt>$<key>`, p = 1. */
function hashOfTheFirstFormat(password: string, log2N: number): string {
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize('NFKC'), salt, 32, { N: 2 ** log2N, r: 8, p: 1 });
  return ['scrypt', log2N, salt.toString('base64url'), key.toString('base64url')].join('$');
}

describe('password hashes', () => {
  it('cost 32 MiB and three lanes by default, the strength of N=2^17 with a quarter of its memory', () => {
    expect(loadConfig({}).auth.scrypt).toEqual({ log2N: 15, parallelism: 3 });
  });

  it('record their cost, and verify whichever cost they were made at', async () => {
    const hash = await hashPassword('a sturdy passphrase', { log2N: 10, parallelism: 3 });
    expect(hash).toMatch(/^scrypt\$10\$3\$[\w-]+\$[\w-]+$/);
    expect(await verifyPassword('a sturdy passphrase', hash)).toBe(true);
    expect(await verifyPassword('another passphrase', hash)).toBe(false);
    const firstFormat = hashOfTheFirstFormat('a sturdy passphrase', 10);
    expect(await verifyPassword('a sturdy passphrase', firstFormat)).toBe(true);
    expect(needsRehash(firstFormat, { log2N: 10, parallelism: 3 })).toBe(true);
    expect(needsRehash(hash, { log2N: 10, parallelism: 3 })).toBe(false);
  });

  it('refuse a stored hash whose cost would stall the process instead of computing it', async () => {
    const started = performance.now();
    expect(await verifyPassword('x', 'scrypt$40$1$c2FsdA$a2V5')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$15$1000$c2FsdA$a2V5')).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('logging in with a hash made at another cost', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('makes the hash anew at the configured cost, and the password keeps working', async () => {
    const email = 'aarav.sharma@example.com';
    await t.app.db
      .knex('accounts')
      .where('email_normalized', email)
      .update({ password_hash: hashOfTheFirstFormat('demo-password', 11) });
    const first = await t.api.post('/api/auth/login', { email, password: 'demo-password' }, anonymously);
    expect(first.status).toBe(200);
    const { password_hash: stored } = await t.app.db
      .knex('accounts')
      .where('email_normalized', email)
      .first('password_hash');
    expect(stored).toMatch(/^scrypt\$10\$3\$/);
    const again = await t.api.post('/api/auth/login', { email, password: 'demo-password' }, anonymously);
    expect(again.status).toBe(200);
  });
});
