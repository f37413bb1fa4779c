import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './markdown.js';

/*
 * No Docker engine runs in CI, so the Dockerfile cannot be built there. Instead its steps must be
 * commands CI runs (.ci/run builds, prunes to production dependencies and starts the result with
 * scripts/production-smoke.sh, which runs the image's own HEALTHCHECK command), and what its runtime
 * stage copies must exist.
 */

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const dockerfile = read('Dockerfile');
const ciLines = new Set(
  read('.ci/run')
    .split('\n')
    .map((line) => line.trim()),
);
/** Filesystem set-up inside the image, not a build step. */
const IMAGE_SETUP = new Set(['mkdir -p /home/node/data']);

const instructions = dockerfile
  .replace(/\\\n\s*/g, '')
  .split('\n')
  .filter((line) => /^[A-Z]+ /.test(line));
const runtimeStage = instructions.slice(
  instructions.findIndex((line) => line.startsWith('FROM ') && line.includes(' AS runtime')),
);

describe('Dockerfile', () => {
  it('runs only commands CI runs', () => {
    const runs = instructions.filter((line) => line.startsWith('RUN ')).map((line) => line.slice(4).trim());
    expect(runs).toEqual(expect.arrayContaining(['npm ci --no-audit --no-fund', 'npm run build']));
    expect(runs.filter((command) => !ciLines.has(command) && !IMAGE_SETUP.has(command))).toEqual([]);
  });

  it('CI starts the production build with the image health check', () => {
    expect(ciLines).toContain('scripts/production-smoke.sh');
    const check = /^HEALTHCHECK .*CMD \["node", "-e", "(.*)"\]$/m.exec(instructions.join('\n'))?.[1];
    expect(check).toContain('/healthz');
    expect(read('scripts/production-smoke.sh')).toContain(
      `node -e "${check?.replaceAll('`', '\\`').replaceAll('${', '\\${')}"`,
    );
  });

  it('runs node dist/main.js as the node user, on every interface', () => {
    expect(runtimeStage[0]).toMatch(/^FROM node:20-\S+-slim AS runtime$/);
    expect(runtimeStage).toContain('CMD ["node", "dist/main.js"]');
    expect(runtimeStage.indexOf('USER node')).toBeGreaterThan(0);
    expect(runtimeStage.indexOf('USER node')).toBeLessThan(runtimeStage.indexOf('CMD ["node", "dist/main.js"]'));
    expect(runtimeStage.find((line) => line.startsWith('ENV '))).toContain('HOST=0.0.0.0');
  });

  it('copies into the runtime stage what exists, or what the build writes', () => {
    const BUILD_OUTPUTS = new Set(['/app/dist', '/app/packages/embedded-mongo/dist', '/app/node_modules']);
    const sources = runtimeStage
      .filter((line) => line.startsWith('COPY --from=build '))
      .flatMap((line) => line.split(/\s+/).slice(2, -1));
    expect(sources.length).toBeGreaterThan(0);
    const missing = sources.filter(
      (source) => !BUILD_OUTPUTS.has(source) && !existsSync(join(ROOT, source.replace(/^\/app\//, ''))),
    );
    expect(missing).toEqual([]);
  });
});
