/**
 * Composes tenantgraph with the example weather subgraph and writes the supergraph SDL:
 *   npm run supergraph -- [--out supergraph.graphql] [--schema-dir schema]
 *                         [--tenantgraph-url http://127.0.0.1:4000/graphql] [--weather-url http://127.0.0.1:4001/graphql]
 * Exits 1, writing nothing, on a composition error or on a hint that is not accepted (see
 * ACCEPTED_HINT_CODES in scripts/compose-supergraph.ts); each problem is one line on stderr.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { composeSupergraph, tenantgraphSubgraph, weatherSubgraph } from './compose-supergraph.js';

function fail(message: string, code: number): never {
  process.stderr.write(`supergraph: ${message}\n`);
  process.exit(code);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      out: { type: 'string', default: 'supergraph.graphql' },
      'schema-dir': { type: 'string' },
      'tenantgraph-url': { type: 'string', default: 'http://127.0.0.1:4000/graphql' },
      'weather-url': { type: 'string', default: 'http://127.0.0.1:4001/graphql' },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (error) {
  fail((error as Error).message.split('\n')[0] ?? 'bad arguments', 2);
}

const schemaDir = values['schema-dir'] === undefined ? undefined : `${resolve(values['schema-dir'])}/`;
const outcome = composeSupergraph([
  tenantgraphSubgraph(values['tenantgraph-url'], schemaDir),
  weatherSubgraph(values['weather-url']),
]);
if (!outcome.ok) {
  for (const problem of outcome.problems) {
    process.stderr.write(`supergraph: ${problem.kind} ${problem.code}: ${problem.message.replace(/\s*\n\s*/g, ' ')}\n`);
  }
  fail(`composition failed (${outcome.problems.length} problem(s)); ${values.out} not written`, 1);
}
for (const hint of outcome.acceptedHints) {
  process.stderr.write(`supergraph: accepted hint ${hint.code}: ${hint.message.replace(/\s*\n\s*/g, ' ')}\n`);
}
writeFileSync(values.out, outcome.supergraphSdl);
process.stdout.write(`supergraph: wrote ${values.out}\n`);
