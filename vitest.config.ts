import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Our ESM sources must load the same graphql module instance as the CommonJS packages
  // (@apollo/subgraph, graphql-middleware): Vite would otherwise resolve graphql/index.mjs for them,
  // and graphql-js refuses types from "another module or realm".
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
