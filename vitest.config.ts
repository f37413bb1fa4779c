import { defineConfig } from 'vitest/config';

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
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
