import { defineConfig } from 'vitest/config';

/**
 * Test files that must have a process of their own: tracing patches `http` and `graphql` as they load,
 * so it must start before any other test file has imported them (and its patches must not reach the
 * other files).
 */
const OWN_PROCESS = ['test/observability/tracing.test.ts'];

export default defineConfig({
  resolve: {
    // Our ESM sources must load the same graphql module instance as the CommonJS packages
    // (@apollo/subgraph, graphql-middleware): Vite would otherwise resolve graphql/index.mjs for them,
    // and graphql-js refuses types from "another module or realm".
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  // Workspace packages are consumed from their TypeScript sources (their `development` export), even when
  // NODE_ENV=production; vitest hands the same conditions to its worker processes.
  ssr: { resolve: { conditions: ['development', 'node'] } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Most of the suite's time was spent importing Apollo, the driver and the app again for every file
    // (a fresh process each): the files share their worker's modules instead. Every test file starts its
    // own servers and database, so nothing of one file's state reaches another through a module.
    // Two workers on any machine: the files mostly wait on sockets, and more than two make the
    // timing-sensitive ones (fairness, expiry) wait for CPU.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'shared',
          include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
          exclude: OWN_PROCESS,
          isolate: false,
        },
      },
      { extends: true, test: { name: 'own-process', include: OWN_PROCESS, isolate: true } },
    ],
  },
});
