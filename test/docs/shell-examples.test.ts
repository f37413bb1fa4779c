import { describe, expect, it } from 'vitest';
import { startTestServer } from '../support/server.js';
import { exampleFiles, parseDocument, type CodeBlock } from './markdown.js';
import { blockProblems, isRunnableShell, runPage } from './shell-examples.js';

const pages = exampleFiles()
  .map((file) => ({ file, blocks: parseDocument(file).blocks.filter(isRunnableShell) }))
  .filter((page) => page.blocks.length > 0);

/** Runs a page's examples against a fresh server, as a reader following that page after `npm start`. */
async function problemsOf(blocks: readonly CodeBlock[]) {
  const server = await startTestServer();
  try {
    const { config } = server.app.services;
    if (config.auth.mode !== 'dev') throw new Error('the examples need a dev-issuer server');
    const run = await runPage(blocks, server.url, { DATA_DIR: config.auth.dataDir });
    const problems = blocks.flatMap((block) =>
      blockProblems(
        block,
        run.responses.filter((response) => response.block === block),
      ),
    );
    return { run, problems };
  } finally {
    await server.stop();
  }
}

describe.concurrent('shell examples of README.md and docs/', () => {
  it('finds the README examples', () => {
    expect(pages.map((page) => page.file)).toContain('README.md');
  });

  // A page spawns `npm run token` and a dozen curls: on a busy 2-core machine that takes a while.
  it.each(pages)(
    '$file: every example runs, and answers without unexpected errors',
    async ({ blocks }) => {
      const { run, problems } = await problemsOf(blocks);
      expect(run.exitCode, run.output).toBe(0);
      expect(problems, run.output).toEqual([]);
    },
    90_000,
  );

  it('a block whose answer holds an unexpected error is reported, an expected one is not', async () => {
    const block = (note: string | undefined): CodeBlock => ({
      file: 'README.md',
      line: 1,
      language: 'sh',
      note,
      content:
        'curl -s http://127.0.0.1:4000/graphql -H \'content-type: application/json\' -d \'{"query":"{ viewer { roles } }"}\'\n',
    });
    const unexpected = await problemsOf([block(undefined)]);
    expect(unexpected.problems).toEqual([expect.stringContaining('HTTP 401')]);
    const expected = await problemsOf([block('expect: UNAUTHENTICATED')]);
    expect(expected.problems).toEqual([]);
    const missing = await problemsOf([block('expect: FORBIDDEN')]);
    expect(missing.problems).toContain('README.md:1: expected an error FORBIDDEN, none came');
  });
});
