/**
 * Writes packages/client/src/generated/router.ts: the tRPC router's type, one procedure per operation
 * of the table that opts into tRPC, with inputs and outputs named in the types openapi-typescript
 * generates from openapi/openapi.yaml. The client package so types `createTRPCClient<AppRouter>`
 * without importing the server (whose declarations pull in Fastify, knex, pino, …); a type-level test
 * in packages/client holds it equal to the server's real router. With --check, writes nothing and
 * fails when the committed file differs, so a stale router type never lands.
 */
import { fileURLToPath } from 'node:url';
import type { Operation } from '../src/operation.js';
import { operations } from '../src/operations.js';
import { writeOrCheckGenerated } from './generated-file.js';

const target = fileURLToPath(new URL('../../client/src/generated/router.ts', import.meta.url));

/** The input: path parameters, query and JSON body merged, as the server's procedure takes it. */
function inputOf(operation: Operation): string {
  const generated = `operations['${operation.id}']`;
  const parts = [
    operation.params ? `PathOf<${generated}>` : null,
    operation.query ? `QueryOf<${generated}>` : null,
    operation.body ? `JsonBodyOf<${generated}>` : null,
    operation.idempotent ? 'IdempotencyKeyInput' : null,
  ].filter((part) => part !== null);
  return parts.length === 0 ? 'undefined' : `ProcedureInput<${parts.join(' & ')}>`;
}

function outputOf(operation: Operation): string {
  const answer = operation.produces
    ? `DocumentAnswerOf<operations['${operation.id}'], ${operation.successStatus}, '${operation.produces}'>`
    : `JsonAnswerOf<operations['${operation.id}'], ${operation.successStatus}>`;
  return operation.paginated ? `Page<${answer}>` : answer;
}

function procedureOf(name: string, operation: Operation): string {
  const kind = operation.trpc === 'query' ? 'TRPCQueryProcedure' : 'TRPCMutationProcedure';
  return [
    `    /** ${operation.summary} */`,
    `    ${name}: ${kind}<{`,
    `      input: ${inputOf(operation)};`,
    `      output: ${outputOf(operation)};`,
    '      meta: object;',
    '    }>;',
  ].join('\n');
}

function namespaceOf(namespace: string, group: Record<string, Operation>): string | null {
  const procedures = Object.entries(group)
    .filter(([, operation]) => operation.trpc !== null)
    .map(([name, operation]) => procedureOf(name, operation));
  if (procedures.length === 0) return null;
  return [`  ${namespace}: {`, ...procedures, '  };'].join('\n');
}

function render(): string {
  const namespaces = Object.entries(operations as unknown as Record<string, Record<string, Operation>>)
    .map(([namespace, group]) => namespaceOf(namespace, group))
    .filter((namespace) => namespace !== null);
  return `/**
 * Generated from the operation table of packages/contracts by \`npm run openapi\`
 * (packages/contracts/scripts/write-client-router.ts). Do not edit by hand.
 *
 * The server's tRPC router as a type, in the types generated from openapi/openapi.yaml: what
 * \`createTRPCClient<AppRouter>\` needs, without the server's code.
 */
import type { TRPCBuiltRouter, TRPCMutationProcedure, TRPCQueryProcedure } from '@trpc/server';
import type {
  DocumentAnswerOf,
  IdempotencyKeyInput,
  JsonAnswerOf,
  JsonBodyOf,
  Page,
  PathOf,
  ProcedureInput,
  QueryOf,
  TrpcRootTypes,
} from '../trpc-types.js';
import type { operations } from './openapi.js';

export type AppRouter = TRPCBuiltRouter<TrpcRootTypes, AppRouterRecord>;

// A type alias, not an interface: only object literal types meet TRPCRouterRecord's index signature.
export type AppRouterRecord = {
${namespaces.join('\n')}
};
`;
}

const rendered = render();
writeOrCheckGenerated(target, rendered, 'packages/client/src/generated/router.ts');
