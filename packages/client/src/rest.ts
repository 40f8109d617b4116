import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './generated/openapi.js';

export type { components, operations, paths } from './generated/openapi.js';

export interface RestClientOptions {
  /** Where the service runs, e.g. `http://localhost:5000` */
  baseUrl: string;
  /** Bearer token sent as `Authorization: Bearer …` */
  token?: string;
  /** A fetch implementation (defaults to the global one) */
  fetch?: typeof globalThis.fetch;
}

export type RestClient = Client<paths>;

/**
 * A REST client whose paths, parameters, bodies and answers are typed from openapi/openapi.yaml:
 * `client.GET('/api/mentors', { params: { query: { area_of_expertise: 'Equity Research' } } })`.
 */
export function createRestClient(options: RestClientOptions): RestClient {
  return createClient<paths>({
    baseUrl: options.baseUrl,
    ...(options.token ? { headers: { authorization: `Bearer ${options.token}` } } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}
