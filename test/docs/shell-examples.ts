import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, where, type CodeBlock } from './markdown.js';

/*
 * The shell examples that call the server (at http://127.0.0.1:4000) run as written, one
 * bash session per page (a page's blocks share its variables, as a reader's terminal would), against
 * a test server whose address replaces 127.0.0.1:4000. `curl` is wrapped so that every response is
 * kept and checked afterwards. The comment right above a block may say:
 *   <!-- not run: <reason> -->          the block is not run (say why)
 *   <!-- expect: CODE[, CODE…] -->      the block shows these GraphQL error codes, and no other
 */

export const SHELL_LANGUAGES: ReadonlySet<string> = new Set(['sh', 'bash', 'shell']);
export const DOCUMENTED_ADDRESS = '127.0.0.1:4000';

/**
 * Blocks that call the server with curl, or get a token for those that do. Other shell blocks (`npm ci`,
 * `npm start`, deployment commands) are instructions, not examples to run here.
 */
export const isRunnableShell = (block: CodeBlock) =>
  SHELL_LANGUAGES.has(block.language) &&
  /\bcurl\b|npm run -s token/.test(block.content) &&
  !block.note?.startsWith('not run');

export function expectedCodes(block: CodeBlock): string[] {
  const match = /^expect:\s*(.+)$/.exec(block.note ?? '');
  return match?.[1] ? match[1].split(',').map((code) => code.trim()) : [];
}

export interface RecordedResponse {
  block: CodeBlock;
  status: number;
  body: string;
  /** The GraphQL error codes of a JSON body. */
  codes: string[];
}

export interface PageRun {
  exitCode: number | null;
  output: string;
  responses: RecordedResponse[];
}

const PRELUDE = `set -euo pipefail
curl() {
  local out="$DOCS_LOG/$DOCS_BLOCK.$(date +%s%N).$RANDOM"
  command curl -D "$out.headers" -o "$out.body" "$@"
  cat "$out.body"
}
`;

function codesOf(body: string): string[] {
  try {
    const parsed = JSON.parse(body) as { errors?: Array<{ extensions?: { code?: string } }> };
    return (parsed.errors ?? []).map((error) => error.extensions?.code ?? '(no code)');
  } catch {
    return [];
  }
}

/**
 * Runs a page's runnable blocks in one bash session against `baseUrl` (e.g. http://127.0.0.1:40123).
 * The session, and whatever it started, is killed after `timeoutMs`.
 */
export async function runPage(
  blocks: readonly CodeBlock[],
  baseUrl: string,
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<PageRun> {
  const log = await mkdtemp(join(tmpdir(), 'tenantgraph-docs-'));
  try {
    const address = new URL(baseUrl).host;
    const script =
      PRELUDE +
      blocks
        .map((block, index) => `DOCS_BLOCK=${index}\n${block.content.replaceAll(DOCUMENTED_ADDRESS, address)}`)
        .join('\n');
    const child = spawn('bash', ['-c', script], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), DOCS_LOG: log, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const timer = setTimeout(() => {
      output += `\nkilled after ${timeoutMs} ms\n`;
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, timeoutMs);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    const responses: RecordedResponse[] = [];
    for (const name of (await readdir(log)).filter((file) => file.endsWith('.headers')).sort()) {
      const stem = name.slice(0, -'.headers'.length);
      const block = blocks[Number(stem.split('.')[0])];
      if (!block) continue;
      const headers = await readFile(join(log, name), 'utf8');
      const statuses = [...headers.matchAll(/^HTTP\/[\d.]+ (\d{3})/gm)].map((match) => Number(match[1]));
      const body = await readFile(join(log, `${stem}.body`), 'utf8').catch(() => '');
      responses.push({ block, status: statuses.at(-1) ?? 0, body, codes: codesOf(body) });
    }
    return { exitCode, output, responses };
  } finally {
    await rm(log, { recursive: true, force: true });
  }
}

/** What is wrong with the responses of one block, as lines naming the block. */
export function blockProblems(block: CodeBlock, responses: readonly RecordedResponse[]): string[] {
  const expected = expectedCodes(block);
  const problems: string[] = [];
  if (responses.length === 0 && /\bcurl\b/.test(block.content)) {
    problems.push(`${where(block)}: no request reached the server`);
  }
  for (const response of responses) {
    const unexpected = response.codes.filter((code) => !expected.includes(code));
    const failed = response.status >= 400 && response.codes.length === 0;
    if (unexpected.length > 0 || failed || (expected.length === 0 && response.status >= 400)) {
      problems.push(
        `${where(block)}: HTTP ${response.status} ${response.body.slice(0, 300)}` +
          (expected.length === 0 ? ' (mark expected errors with <!-- expect: CODE --> above the block)' : ''),
      );
    }
  }
  const seen = new Set(responses.flatMap((response) => response.codes));
  for (const code of expected) {
    if (!seen.has(code)) problems.push(`${where(block)}: expected an error ${code}, none came`);
  }
  return problems;
}
