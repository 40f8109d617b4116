import type { z } from 'zod';

/**
 * How one surface writes the answers of one operation: the schema that checks them, and the text
 * around the checked JSON (`{"result":{"data":…}}` on tRPC, nothing on REST).
 */
export interface AnswerForm {
  readonly schema: z.ZodType;
  readonly before?: string;
  readonly after?: string;
}

export type CheckedJson =
  | { readonly json: string | Buffer; readonly issues?: undefined }
  | { readonly issues: z.core.$ZodIssue[] };

/** Encoded JSON of answers shared between requests (kept answers are frozen objects), by form and answer. */
const encodedByForm = new WeakMap<AnswerForm, WeakMap<object, Buffer>>();

/**
 * The answer as JSON in its form, checked against the form's schema, or the issues that keep it
 * from matching the contract (our bug, never the caller's). An answer the service shares between
 * requests (see services/answer-cache.ts) is checked, serialised and encoded once per form, so REST
 * and tRPC reads of a kept answer cost the same: a lookup and a write of bytes.
 */
export function checkedJsonOf(form: AnswerForm, payload: unknown): CheckedJson {
  const shared = typeof payload === 'object' && payload !== null && Object.isFrozen(payload);
  let encoded = shared ? encodedByForm.get(form) : undefined;
  const kept = encoded?.get(payload as object);
  if (kept !== undefined) return { json: kept };
  const checked = form.schema.safeParse(payload);
  if (!checked.success) return { issues: checked.error.issues };
  const json = `${form.before ?? ''}${JSON.stringify(checked.data)}${form.after ?? ''}`;
  if (!shared) return { json };
  if (!encoded) {
    encoded = new WeakMap();
    encodedByForm.set(form, encoded);
  }
  const bytes = Buffer.from(json);
  encoded.set(payload as object, bytes);
  return { json: bytes };
}
