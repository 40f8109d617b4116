import fc from 'fast-check';
import { NOW } from '../../support/app.js';
import { bodySpots, type Hints, invalidArbitrary, isValid, validArbitrary, withSpot } from './arbitraries.js';
import type { OperationRequest } from './requests.js';
import type { JsonSchema, SpecOperation } from './spec-document.js';

/**
 * Calls of an operation generated from its spec: valid ones (made plausible for the demo catalogue,
 * so they reach the service's rules) and ones with exactly one part breaking its schema. Used by the
 * fuzz suite and by the REST/tRPC parity test, so a new operation is exercised by both unedited.
 */

const MINUTE = 60_000;
const zones = ['Asia/Kolkata', 'UTC', 'Europe/London', 'America/New_York', 'Asia/Tokyo'];

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

/** Instants around the pinned clock, mostly on the 15-minute grid, in the three forms clients send. */
const instantArbitrary: fc.Arbitrary<string> = fc
  .record({
    day: fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 0, max: 14 }) },
      fc.integer({ min: -3, max: 70 }),
    ),
    minute: fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 0, max: 95 }).map((quarter) => quarter * 15) },
      fc.integer({ min: 0, max: 1439 }),
    ),
    form: fc.constantFrom('Z', '+05:30', 'local'),
  })
  .map(({ day, minute, form }) => {
    const utc = NOW + day * 1440 * MINUTE + minute * MINUTE;
    const shown = new Date(form === 'Z' ? utc : utc + 330 * MINUTE);
    const text = `${shown.getUTCFullYear()}-${pad(shown.getUTCMonth() + 1)}-${pad(shown.getUTCDate())}T${pad(shown.getUTCHours())}:${pad(shown.getUTCMinutes())}:00`;
    return form === 'Z' ? `${text}Z` : form === '+05:30' ? `${text}+05:30` : text;
  });

const localTimeArbitrary = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45))
  .map(([hour, minute]) => `${pad(hour)}:${pad(minute)}`);

export function hintsFor(areaNames: string[]): Hints {
  const id = fc.oneof(
    { weight: 5, arbitrary: fc.integer({ min: 1, max: 25 }) },
    fc.integer({ min: 1, max: 10_000 }),
  );
  const area = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...areaNames) },
    fc.string({ minLength: 1, maxLength: 20 }),
  );
  const words = fc.oneof(
    fc.constantFrom('Interview moved', 'Strategy director', 'Ira Bhat', 'Zoya Khan'),
    fc.string({ minLength: 1, maxLength: 40 }),
  );
  return {
    id,
    student_id: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 1, max: 8 }) }, id),
    mentor_id: id,
    start_time: instantArbitrary,
    end_time: instantArbitrary,
    from: instantArbitrary,
    to: instantArbitrary,
    duration: fc.oneof(
      { weight: 9, arbitrary: fc.constantFrom(30, 45, 60) },
      fc.integer({ min: 1, max: 120 }),
    ),
    area_of_expertise: area,
    area_of_interest: area,
    areas_of_expertise: fc.array(area, { minLength: 1, maxLength: 3 }),
    timezone: fc.constantFrom(...zones),
    email: fc.oneof(
      fc.constantFrom('diya.patel@example.com', 'kabir.jain@example.com', 'ananya.iyer@mentors.example.com'),
      fc.integer({ min: 1, max: 1_000_000 }).map((n) => `fuzz.${n}@example.com`),
    ),
    password: fc.oneof(fc.constant('demo-password'), fc.string({ minLength: 10, maxLength: 30 })),
    name: words,
    headline: fc.option(words, { nil: null }),
    reason: words,
    cost: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(2000, 3000, 4000, 4500, 6000) },
      fc.integer({ min: 0, max: 9000 }),
    ),
    start: localTimeArbitrary,
    end: fc.oneof(localTimeArbitrary, fc.constant('24:00')),
    date: fc
      .integer({ min: 0, max: 40 })
      .map((day) => new Date(NOW + day * 1440 * MINUTE).toISOString().slice(0, 10)),
    'Idempotency-Key': fc.integer({ min: 1, max: 300 }).map((n) => `fuzz-key-${n}`),
    cursor: fc.oneof(fc.constantFrom('NTA', 'MQ', 'Mg'), fc.string({ minLength: 1, maxLength: 12 })),
  };
}

/** An open slot of a mentor when the fuzzing starts, to make some bookings succeed. */
export interface OpenSlot {
  mentor_id: number;
  start_time: string;
}

/** An instant as sent (with `Z`, an offset, or none: Asia/Kolkata) moved by some minutes, in UTC. */
function shifted(instant: string, minutes: number): string {
  const hasOffset = /(Z|z|[+-]\d{2}:\d{2})$/.test(instant);
  const start = Date.parse(hasOffset ? instant : `${instant}+05:30`);
  return new Date(start + minutes * MINUTE).toISOString();
}

function minutesOf(time: string): number {
  const [hours = 0, minutes = 0] = time.split(':').map(Number);
  return hours * 60 + minutes;
}

/** Windows `{ start, end }` anywhere in a body end after they start (else the service refuses them). */
function orderWindows(value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) orderWindows(item);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const record = value as Record<string, unknown>;
  if (typeof record.start === 'string' && typeof record.end === 'string') {
    if (minutesOf(record.end) <= minutesOf(record.start)) {
      const end = Math.min(minutesOf(record.start) + 60, 1440);
      record.end = `${pad(Math.floor(end / 60))}:${pad(end % 60)}`;
    }
  }
  for (const nested of Object.values(record)) orderWindows(nested);
}

/**
 * Valid inputs are mostly noise to the service's rules (a random time is rarely free); these
 * adjustments, by field name, keep them valid and make many of them plausible: a mentor's real open
 * slot, an `end_time` that matches, a window that ends after it starts, `to` after `from`.
 */
function plausible(
  request: OperationRequest,
  openSlots: OpenSlot[],
  pick: number,
  coin: number,
): OperationRequest {
  const body = request.body;
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const fields = body as Record<string, unknown>;
    const slot = openSlots[pick % Math.max(openSlots.length, 1)];
    if (slot && 'mentor_id' in fields && typeof fields.start_time === 'string' && coin < 7) {
      fields.mentor_id = slot.mentor_id;
      fields.start_time = slot.start_time;
      if (coin < 5) delete fields.area_of_expertise;
      if (coin < 6) delete fields.cost;
    }
    if (typeof fields.start_time === 'string' && 'end_time' in fields && coin < 8) {
      fields.end_time = shifted(
        fields.start_time,
        typeof fields.duration === 'number' ? fields.duration : 30,
      );
    }
    orderWindows(fields);
  }
  if (typeof request.query.to === 'string' && coin < 8) {
    const from = typeof request.query.from === 'string' ? request.query.from : new Date(NOW).toISOString();
    request.query.to = shifted(from, (1 + (pick % 10)) * 1440);
  }
  return request;
}

/** Valid calls of an operation: every required part, and optional ones now and then. */
export function validRequestArbitrary(
  operation: SpecOperation,
  hints: Hints,
  openSlots: OpenSlot[] = [],
): fc.Arbitrary<OperationRequest> {
  const part = (location: 'path' | 'query' | 'header') => {
    const parameters = operation.parameters.filter((parameter) => parameter.in === location);
    const model = Object.fromEntries(
      parameters.map((parameter) => [
        parameter.name,
        validArbitrary(parameter.schema, hints, parameter.name),
      ]),
    );
    return fc.record(model, {
      requiredKeys: parameters.filter((parameter) => parameter.required).map((parameter) => parameter.name),
    }) as fc.Arbitrary<Record<string, unknown>>;
  };
  return fc
    .record({
      path: part('path'),
      query: part('query'),
      headers: part('header').map((headers) =>
        Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, String(value)])),
      ),
      body: operation.body ? validArbitrary(operation.body, hints) : fc.constant(undefined),
    })
    .chain((request) =>
      fc
        .tuple(fc.nat(), fc.integer({ min: 0, max: 9 }))
        .map(([pick, coin]) => plausible(structuredClone(request), openSlots, pick, coin)),
    )
    .filter((request) => request.body === undefined || isValid(operation.body as JsonSchema, request.body));
}

export interface BrokenRequest {
  request: OperationRequest;
  /** The JSON pointer the answer's errors[] must name */
  pointer: string;
}

function breakableParametersOf(operation: SpecOperation) {
  return operation.parameters.flatMap((parameter) => {
    const invalid = invalidArbitrary(parameter.schema, true);
    const values = invalid?.filter((value) => !(parameter.in === 'path' && value === ''));
    return values ? [{ parameter, values }] : [];
  });
}

/** Whether the operation takes any input that can break its schema. */
export function canBreak(operation: SpecOperation): boolean {
  return Boolean(operation.body) || breakableParametersOf(operation).length > 0;
}

/** A valid call with exactly one part broken: a parameter, a body field (deep), or the whole body. */
export function brokenRequestArbitrary(
  operation: SpecOperation,
  hints: Hints,
  openSlots: OpenSlot[],
): fc.Arbitrary<BrokenRequest> {
  const breakableParameters = breakableParametersOf(operation);
  return validRequestArbitrary(operation, hints, openSlots).chain((request) => {
    const choices: fc.Arbitrary<BrokenRequest>[] = breakableParameters.map(({ parameter, values }) =>
      values.map((value) => {
        const location = parameter.in === 'header' ? 'headers' : parameter.in;
        return {
          request: { ...request, [location]: { ...request[location], [parameter.name]: String(value) } },
          // The REST adapter hands the Idempotency-Key header to the service as `idempotency_key`.
          pointer:
            parameter.in === 'header'
              ? `/${parameter.name.toLowerCase().replace(/-/g, '_')}`
              : `/${parameter.name}`,
        };
      }),
    );
    const missingRequired = operation.parameters.filter(
      (parameter) => parameter.required && parameter.in === 'query',
    );
    for (const parameter of missingRequired) {
      const { [parameter.name]: _, ...query } = request.query;
      choices.push(fc.constant({ request: { ...request, query }, pointer: `/${parameter.name}` }));
    }
    if (operation.body) {
      const body = operation.body;
      choices.push(
        fc
          .constantFrom([], 'text', 42, null)
          .map((value) => ({ request: { ...request, body: value }, pointer: '/' })),
      );
      const spots = bodySpots(request.body, body);
      for (const spot of spots) {
        const invalid = invalidArbitrary(spot.schema, false);
        if (invalid) {
          choices.push(
            invalid
              .map((value) => ({
                request: { ...request, body: withSpot(request.body, spot.pointer, value) },
                pointer: `/${spot.pointer.join('/')}`,
              }))
              .filter((broken) => !isValid(body, broken.request.body)),
          );
        }
        if (spot.required) {
          choices.push(
            fc.constant({
              request: { ...request, body: withSpot(request.body, spot.pointer, undefined) },
              pointer: `/${spot.pointer.join('/')}`,
            }),
          );
        }
      }
    }
    return choices.length > 0 ? fc.oneof(...choices) : fc.constant({ request, pointer: '' });
  });
}

/** `/weekly` names `/weekly/0/day`'s failure too, and the reverse; `/` only the whole body. */
export function namesPointer(errorPath: string, pointer: string): boolean {
  if (errorPath === pointer) return true;
  if (pointer === '/' || errorPath === '/') return false;
  return errorPath.startsWith(`${pointer}/`) || pointer.startsWith(`${errorPath}/`);
}

/** The documented example of a call: parameter examples and the request body's example. */
export function exampleCall(operation: SpecOperation): OperationRequest {
  const request: OperationRequest = { path: {}, query: {}, headers: {} };
  for (const parameter of operation.parameters) {
    const example = parameter.schema.example;
    if (example === undefined || (!parameter.required && parameter.in !== 'path')) continue;
    if (parameter.in === 'header') request.headers[parameter.name] = String(example);
    else request[parameter.in][parameter.name] = example;
  }
  if (operation.body) request.body = structuredClone(operation.bodyExample ?? {});
  return request;
}
