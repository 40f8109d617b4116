export * from './rest.js';
export * from './trpc.js';
