import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import fc from 'fast-check';
import { type JsonSchema, resolveSchema, specDocument } from './spec-document.js';

/**
 * fast-check arbitraries derived from the JSON Schemas of the published spec: valid values of a
 * schema, and values that break it. Every value is checked against the schema with ajv, so a
 * "valid" input really is one the contract accepts and an "invalid" one really is one it refuses.
 */

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
const bodyAjv = new Ajv2020({ strict: false, allErrors: false });
// Path, query and header values travel as text: validate them the way the spec reads them.
const parameterAjv = new Ajv2020({ strict: false, allErrors: false, coerceTypes: true });
for (const ajv of [bodyAjv, parameterAjv]) {
  addFormats(ajv);
  ajv.addSchema(specDocument, 'spec');
}

function withAbsoluteRefs(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withAbsoluteRefs);
  if (typeof schema !== 'object' || schema === null) return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [
      key,
      key === '$ref' && typeof value === 'string' && value.startsWith('#')
        ? `spec${value}`
        : withAbsoluteRefs(value),
    ]),
  );
}

const validators = new Map<string, ValidateFunction>();

/** A validator of one schema of the spec; `parameter` reads values as the text of a URL or header. */
export function validatorOf(schema: JsonSchema, parameter = false): ValidateFunction {
  const key = `${parameter}:${JSON.stringify(schema)}`;
  let validate = validators.get(key);
  if (!validate) {
    validate = (parameter ? parameterAjv : bodyAjv).compile(withAbsoluteRefs(schema) as object);
    validators.set(key, validate);
  }
  return validate;
}

export function isValid(schema: JsonSchema, value: unknown, parameter = false): boolean {
  // coerceTypes rewrites data in place; keep the caller's value intact.
  const data = parameter ? { value } : value;
  return parameter
    ? validatorOf({ type: 'object', properties: { value: schema } }, true)(data)
    : validatorOf(schema)(data);
}

/** Plausible values by field name, so valid inputs reach the service's rules instead of 404s. */
export type Hints = Record<string, fc.Arbitrary<unknown>>;

function typesOf(schema: JsonSchema): string[] {
  if (Array.isArray(schema.type)) return schema.type as string[];
  return typeof schema.type === 'string' ? [schema.type] : [];
}

function numberBounds(schema: JsonSchema, integer: boolean) {
  const step = integer ? 1 : 0.01;
  const min =
    typeof schema.exclusiveMinimum === 'number'
      ? schema.exclusiveMinimum + step
      : typeof schema.minimum === 'number'
        ? schema.minimum
        : -1000;
  const max =
    typeof schema.exclusiveMaximum === 'number'
      ? schema.exclusiveMaximum - step
      : typeof schema.maximum === 'number'
        ? schema.maximum
        : 100_000;
  return { min, max };
}

function stringArbitrary(schema: JsonSchema): fc.Arbitrary<string> {
  const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : 60;
  if (typeof schema.pattern === 'string') return fc.stringMatching(new RegExp(schema.pattern));
  if (schema.format === 'email') return fc.emailAddress();
  if (schema.format === 'date')
    return fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
  if (schema.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
  const small = Math.max(minLength, Math.min(maxLength, 24));
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ minLength, maxLength: small }) },
    { weight: 1, arbitrary: fc.string({ minLength, maxLength: small, unit: 'grapheme' }) },
    { weight: 1, arbitrary: fc.string({ minLength: maxLength, maxLength }) },
  );
}

/** Values the schema accepts. `name` picks a hint for a field of that name when there is one. */
export function validArbitrary(schema: JsonSchema, hints: Hints, name?: string): fc.Arbitrary<unknown> {
  const resolved = resolveSchema(schema);
  const hint = name === undefined ? undefined : hints[name];
  // A hint is named after a field of another operation: Stripe's event `id` is text where the
  // hint's ids are numbers. One whose values the schema never takes would filter forever.
  if (hint && fc.sample(hint, { numRuns: 20, seed: 1 }).some((value) => isValid(schema, value)))
    return hint.filter((value) => isValid(schema, value));
  if ('const' in resolved) return fc.constant(resolved.const);
  if (Array.isArray(resolved.enum)) return fc.constantFrom(...resolved.enum);
  const options = (resolved.anyOf ?? resolved.oneOf) as JsonSchema[] | undefined;
  if (options) return fc.oneof(...options.map((option) => validArbitrary(option, hints, name)));
  const types = typesOf(resolved);
  if (types.length > 1)
    return fc.oneof(...types.map((type) => validArbitrary({ ...resolved, type }, hints, name)));
  const leaf = (arbitrary: fc.Arbitrary<unknown>) => arbitrary.filter((value) => isValid(resolved, value));
  switch (types[0]) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer': {
      const { min, max } = numberBounds(resolved, true);
      return fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min, max: Math.max(min, Math.min(max, min + 50)) }) },
        { weight: 1, arbitrary: fc.integer({ min, max: Math.min(max, Number.MAX_SAFE_INTEGER) }) },
      );
    }
    case 'number': {
      const { min, max } = numberBounds(resolved, false);
      return leaf(
        fc.oneof(
          fc.integer({ min: Math.ceil(min), max: Math.floor(Math.min(max, 10_000)) }),
          fc.double({ min, max, noNaN: true, noDefaultInfinity: true }),
        ),
      );
    }
    case 'string':
      return leaf(stringArbitrary(resolved));
    case 'array': {
      const items = (resolved.items ?? {}) as JsonSchema;
      const minLength = typeof resolved.minItems === 'number' ? resolved.minItems : 0;
      const maxItems = typeof resolved.maxItems === 'number' ? resolved.maxItems : 5;
      return fc.array(validArbitrary(items, hints, name), {
        minLength,
        maxLength: Math.max(minLength, Math.min(maxItems, 3)),
      });
    }
    default: {
      const properties = (resolved.properties ?? {}) as Record<string, JsonSchema>;
      const required = (resolved.required ?? []) as string[];
      const model = Object.fromEntries(
        Object.entries(properties).map(([key, property]) => [key, validArbitrary(property, hints, key)]),
      );
      return fc.record(model, { requiredKeys: required });
    }
  }
}

/** Candidate values that break a schema; the ones the schema still accepts are filtered out. */
function breakingCandidates(schema: JsonSchema, parameter: boolean): unknown[] {
  const resolved = resolveSchema(schema);
  const candidates: unknown[] = parameter
    ? ['', 'not-valid', '-1', '0', '1.5', 'true', 'zz:zz', '9'.repeat(30)]
    : [42, -1, 1.5, 'text', '', true, null, [], {}, 'zz:zz'];
  for (const key of ['minimum', 'exclusiveMinimum'] as const) {
    if (typeof resolved[key] === 'number') candidates.push((resolved[key] as number) - 1, resolved[key]);
  }
  for (const key of ['maximum', 'exclusiveMaximum'] as const) {
    if (typeof resolved[key] === 'number') candidates.push((resolved[key] as number) + 1, resolved[key]);
  }
  if (typeof resolved.maxLength === 'number') candidates.push('x'.repeat(resolved.maxLength + 1));
  if (typeof resolved.minLength === 'number' && resolved.minLength > 0)
    candidates.push('x'.repeat(resolved.minLength - 1));
  if (typeof resolved.maxItems === 'number' && !parameter) {
    const item = fc.sample(validArbitrary((resolved.items ?? {}) as JsonSchema, {}), {
      numRuns: 1,
      seed: 1,
    })[0];
    candidates.push(Array.from({ length: resolved.maxItems + 1 }, () => item));
  }
  return candidates.map((value) => (parameter && typeof value === 'number' ? String(value) : value));
}

export function invalidArbitrary(schema: JsonSchema, parameter: boolean): fc.Arbitrary<unknown> | null {
  const candidates = breakingCandidates(schema, parameter).filter(
    (value) => !isValid(schema, value, parameter),
  );
  return candidates.length > 0 ? fc.constantFrom(...candidates) : null;
}

/** Where in a valid body a value can be broken: the JSON pointer and the schema that applies there. */
export interface BodySpot {
  pointer: string[];
  schema: JsonSchema;
  /** Deleting the value breaks the body (a required field) */
  required: boolean;
}

/** Every spot of a valid body (nested objects and the first item of arrays) that could be broken. */
export function bodySpots(value: unknown, schema: JsonSchema, pointer: string[] = []): BodySpot[] {
  const resolved = resolveSchema(schema);
  if (resolved.anyOf || resolved.oneOf || typeof value !== 'object' || value === null) return [];
  if (Array.isArray(value)) {
    const items = resolved.items as JsonSchema | undefined;
    if (!items || value.length === 0) return [];
    return [
      { pointer: [...pointer, '0'], schema: items, required: false },
      ...bodySpots(value[0], items, [...pointer, '0']),
    ];
  }
  const properties = (resolved.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((resolved.required ?? []) as string[]);
  return Object.keys(value).flatMap((key) => {
    const property = properties[key];
    if (!property) return [];
    const here = [...pointer, key];
    return [
      { pointer: here, schema: property, required: required.has(key) },
      ...bodySpots((value as Record<string, unknown>)[key], property, here),
    ];
  });
}

/** A copy of `value` with the spot replaced by `replacement`, or deleted when it is `undefined`. */
export function withSpot(value: unknown, pointer: string[], replacement: unknown): unknown {
  const copy = structuredClone(value) as Record<string, unknown>;
  let parent: Record<string, unknown> = copy;
  for (const segment of pointer.slice(0, -1)) parent = parent[segment] as Record<string, unknown>;
  const last = pointer[pointer.length - 1] as string;
  if (replacement === undefined) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else parent[last] = replacement;
  return copy;
}
