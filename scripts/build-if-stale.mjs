// `npm start` runs this before `exec node dist/main.js`: it builds when dist/ is missing or older than
// what it is built from, so that a fresh clone and an edited tree both start what their sources say.
// Plain JavaScript, so that it runs before anything is compiled.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Written after a build this script ran, dated when that build started: the sources it saw are older. */
const STAMP = join(ROOT, 'dist', '.built');
const PACKAGES = join(ROOT, 'packages');

const inputs = [
  join(ROOT, 'src'),
  join(ROOT, 'tsconfig.json'),
  join(ROOT, 'tsconfig.build.json'),
  ...(existsSync(PACKAGES)
    ? readdirSync(PACKAGES).flatMap((name) => [
        join(PACKAGES, name, 'src'),
        join(PACKAGES, name, 'tsconfig.build.json'),
      ])
    : []),
];

/** The latest modification time of a file, or of any file under a folder. */
function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .reduce((latest, entry) => Math.max(latest, statSync(join(entry.parentPath, entry.name)).mtimeMs), stat.mtimeMs);
}

const builtAt = existsSync(join(ROOT, 'dist', 'main.js')) && existsSync(STAMP) ? statSync(STAMP).mtimeMs : 0;
const sourcesAt = Math.max(...inputs.map(newest));
if (sourcesAt > builtAt) {
  process.stderr.write('tenantgraph: dist/ is missing or older than the sources; building it (npm run build)\n');
  const started = new Date();
  // The compiler's output goes to stderr: stdout is the server's JSON log lines.
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 2, 2] });
  if (build.status !== 0) process.exit(build.status ?? 1);
  writeFileSync(STAMP, `${started.toISOString()}\n`);
  utimesSync(STAMP, started, started);
}
