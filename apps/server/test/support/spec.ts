import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

/**
 * Validates responses against the committed openapi/openapi.yaml: the document third parties read,
 * not the zod schemas it was generated from, so a drift between the two fails the suite.
 */
const specPath = fileURLToPath(new URL('../../../../openapi/openapi.yaml', import.meta.url));
const document = parse(readFileSync(specPath, 'utf8')) as {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
};

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(document, 'spec');

const templates = Object.keys(document.paths).map((template) => ({
  template,
  pattern: new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`),
}));

function pointerEscape(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

const validators = new Map<string, ValidateFunction>();

function validatorFor(template: string, method: string, status: string, mediaType: string): ValidateFunction {
  const key = [template, method, status, mediaType].join(' ');
  let validate = validators.get(key);
  if (!validate) {
    const ref = `spec#/paths/${pointerEscape(template)}/${method}/responses/${status}/content/${pointerEscape(mediaType)}/schema`;
    validate = ajv.compile({ $ref: ref });
    validators.set(key, validate);
  }
  return validate;
}

export interface SpecViolation {
  message: string;
}

/** Null when the response is one the spec documents for that operation, else what is wrong. */
export function specViolationOf(
  method: string,
  url: string,
  status: number,
  contentType: string | undefined,
  body: unknown,
): SpecViolation | null {
  const path = url.split('?')[0] ?? url;
  const match = templates.find((candidate) => candidate.pattern.test(path));
  if (!match) return null; // not an API operation (docs, tRPC, unknown routes)
  const operation = document.paths[match.template]?.[method.toLowerCase()];
  if (!operation) return null; // 405s answer for methods the spec does not list
  const response = operation.responses[String(status)];
  if (!response)
    return { message: `${method} ${match.template} answered ${status}, which the spec does not document` };
  const mediaType = (contentType ?? '').split(';')[0]?.trim() ?? '';
  if (!response.content?.[mediaType]) {
    return { message: `${method} ${match.template} ${status} answered ${mediaType}, not documented` };
  }
  const validate = validatorFor(match.template, method.toLowerCase(), String(status), mediaType);
  if (validate(body)) return null;
  return { message: `${method} ${match.template} ${status}: ${ajv.errorsText(validate.errors)}` };
}
