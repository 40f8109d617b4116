import type { TestProject } from 'vitest/node';
import { missingPrerequisite, startServer } from './server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The real server the suite drives, serving the built app: http://127.0.0.1:<port> */
    baseUrl: string;
  }
}

/** One server for the whole run: the journeys build on each other (a booking, then its mentor, then the admin). */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const missing = missingPrerequisite();
  if (missing) throw new Error(missing);
  const server = await startServer();
  project.provide('baseUrl', server.baseUrl);
  return () => server.stop();
}
