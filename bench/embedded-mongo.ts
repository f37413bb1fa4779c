import { spawn } from 'node:child_process';
import { once } from 'node:events';

/**
 * The embedded database's benchmarks live in its package; they run in a child process through the
 * package's own `bench` script, so the app reaches nothing of the package but its public entry.
 */
export async function run(): Promise<void> {
  const child = spawn('npm', ['run', '--silent', 'bench', '--workspace', '@tenantgraph/embedded-mongo'], {
    stdio: 'inherit',
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`the embedded-mongo benchmarks exited with ${String(code)}`);
}
