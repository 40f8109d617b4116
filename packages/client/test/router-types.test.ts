import type { AppRouter as ServerRouter } from '@mentor-scheduling/server';
import type { inferRouterError, inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { describe, expectTypeOf, it } from 'vitest';
import type { AppRouter } from '../src/index.js';
import type { Same } from './support/same.js';

/**
 * The client's router type is generated from the contract (generated/router.ts), so that installing
 * the client brings no server code. These checks hold it equal to the server's real router,
 * procedure by procedure: `npm run typecheck` fails, naming the procedures, when the two drift.
 */

/** `namespace.procedure` for every procedure of a router record's two levels. */
type ProcedurePaths<Record> = {
  [Namespace in keyof Record & string]: `${Namespace}.${keyof Record[Namespace] & string}`;
}[keyof Record & string];
type At<Record, Path> = Path extends `${infer Namespace}.${infer Name}`
  ? Namespace extends keyof Record
    ? Name extends keyof Record[Namespace]
      ? Record[Namespace][Name]
      : never
    : never
  : never;

type ServerRecord = ServerRouter['_def']['record'];
type ClientRecord = AppRouter['_def']['record'];
type Paths = ProcedurePaths<ServerRecord> | ProcedurePaths<ClientRecord>;

/** The procedures on which the two routers disagree about `Part` (`never` when they agree on all). */
type Disagreeing<ServerTypes, ClientTypes> = {
  [Path in Paths]: Same<At<ServerTypes, Path>, At<ClientTypes, Path>> extends true ? never : Path;
}[Paths];
type KindOf<Procedure> = Procedure extends { _def: { type: infer Kind } } ? Kind : never;
type Kinds<Record> = {
  [Namespace in keyof Record]: { [Name in keyof Record[Namespace]]: KindOf<Record[Namespace][Name]> };
};

/**
 * Compiles only when given `never`; otherwise the error names the procedures, e.g.
 * `Type '"auth.me"' does not satisfy the constraint 'never'`. Nothing to do at run time.
 */
function noneDisagree<_Procedures extends never>(): void {}

describe('the generated router type matches the server’s router', () => {
  it('has the same procedures, each a query or a mutation as on the server', () => {
    noneDisagree<Exclude<ProcedurePaths<ServerRecord>, ProcedurePaths<ClientRecord>>>();
    noneDisagree<Exclude<ProcedurePaths<ClientRecord>, ProcedurePaths<ServerRecord>>>();
    noneDisagree<Disagreeing<Kinds<ServerRecord>, Kinds<ClientRecord>>>();
  });

  it('types every procedure’s input as the server does', () => {
    noneDisagree<Disagreeing<inferRouterInputs<ServerRouter>, inferRouterInputs<AppRouter>>>();
  });

  it('types every procedure’s output as the server does', () => {
    noneDisagree<Disagreeing<inferRouterOutputs<ServerRouter>, inferRouterOutputs<AppRouter>>>();
  });

  it('types the error envelope as the server’s error formatter writes it', () => {
    expectTypeOf<Same<inferRouterError<ServerRouter>, inferRouterError<AppRouter>>>().toEqualTypeOf<true>();
  });
});
