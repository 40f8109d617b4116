import { describe, expect, it } from 'vitest';
import { specViolationOf } from './spec.js';

/** The response checker is itself tested, so a suite that passes through it proves something. */
describe('specViolationOf', () => {
  const json = 'application/json; charset=utf-8';
  const problem = 'application/problem+json; charset=utf-8';
  const pricing = {
    currency: 'INR',
    premium_multiplier: 1.5,
    prices: [{ duration: 30, standard: 2000, premium: 3000 }],
  };

  it('accepts a documented response', () => {
    expect(specViolationOf('GET', '/api/pricing', 200, json, pricing)).toBeNull();
  });

  it('flags a missing field', () => {
    const { currency: _, ...withoutCurrency } = pricing;
    expect(specViolationOf('GET', '/api/pricing', 200, json, withoutCurrency)?.message).toMatch(/currency/);
  });

  it('flags a wrong type inside a referenced component', () => {
    const body = [
      {
        id: 1,
        name: 'x',
        headline: null,
        areas_of_expertise: 'Finance',
        is_premium: true,
        timezone: 'UTC',
        availability: [],
      },
    ];
    expect(specViolationOf('GET', '/api/mentors?x=1', 200, json, body)).not.toBeNull();
  });

  it('flags a status the operation does not document', () => {
    expect(specViolationOf('GET', '/api/pricing', 404, problem, {})?.message).toMatch(/does not document/);
  });

  it('flags a problem document without its code', () => {
    const body = { type: 'x', title: 't', status: 404, detail: 'd' };
    expect(specViolationOf('GET', '/api/mentors/7', 404, problem, body)).not.toBeNull();
  });

  it('ignores what is not an API operation', () => {
    expect(specViolationOf('GET', '/docs', 200, 'text/html', '<html>')).toBeNull();
  });
});
