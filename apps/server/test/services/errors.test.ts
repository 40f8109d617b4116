import { describe, expect, it } from 'vitest';
import { problemPartsOf } from '../../src/http/problem.js';

describe('database busy errors', () => {
  it.each([
    [
      'a PostgreSQL statement timeout',
      { code: '57014', message: 'canceling statement due to statement timeout' },
    ],
    ['a PostgreSQL lock wait refusal', { code: '55P03', message: 'could not obtain lock' }],
    ['SQLite still locked', { code: 'SQLITE_BUSY', message: 'SQLITE_BUSY: database is locked' }],
  ])('answer %s as 503 service_busy with Retry-After, not as a bug', (_, error) => {
    const parts = problemPartsOf(Object.assign(new Error(error.message), { code: error.code }));
    expect(parts).toMatchObject({ code: 'service_busy', headers: { 'retry-after': '1' } });
  });

  it('leave other errors internal, saying nothing of their insides', () => {
    const parts = problemPartsOf(new Error('insert into "bookings" … syntax error'));
    expect(parts.code).toBe('internal_error');
    expect(parts.detail).not.toContain('insert');
  });
});
