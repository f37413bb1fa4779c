import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface MainProcess {
  /** `http://127.0.0.1:<port>`, from its "listening" log line. */
  url: string;
  process: ChildProcessWithoutNullStreams;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
}

/**
 * `npm start`'s entry point (src/main.ts) as a child process with exactly `env` (plus PATH and HOME),
 * on PORT=0: resolves once it logs that it listens. What a test kills with SIGKILL to see a crash.
 */
export function startMainProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<MainProcess> {
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`src/main.ts did not listen within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    const early = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`src/main.ts exited with ${code}: ${stderr}`));
    };
    child.once('exit', early);
    createInterface({ input: child.stdout }).on('line', (text) => {
      let line: { msg?: unknown; url?: unknown };
      try {
        line = JSON.parse(text) as typeof line;
      } catch {
        return;
      }
      if (line.msg === 'tenantgraph listening' && typeof line.url === 'string') {
        clearTimeout(timer);
        child.removeListener('exit', early);
        resolve({ url: line.url.replace(/\/graphql$/, ''), process: child, exited });
      }
    });
  });
}
