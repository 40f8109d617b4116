export type { AppOptions } from './app.js';
export { buildApp } from './app.js';
export type { Config } from './config.js';
export { loadConfig } from './config.js';
export type { AppRouter, TrpcProblemData } from './http/trpc.js';
export { histogramQuantile, parseExposition, type Sample, samplesOf, sumOf } from './metrics/exposition.js';
