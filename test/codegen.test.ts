import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '@graphql-codegen/cli';
import { describe, expect, it } from 'vitest';
import config from '../codegen.js';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('codegen', () => {
  it('the committed generated files match schema/ (else: run npm run codegen)', async () => {
    const outputs = await generate({ ...config, cwd: root, silent: true }, false);
    expect(outputs.length).toBeGreaterThan(0);
    for (const output of outputs) {
      const committed = await readFile(resolve(root, output.filename), 'utf8').catch(() => '');
      expect(committed === output.content, `generated files are stale: run npm run codegen (${output.filename})`).toBe(
        true,
      );
    }
  });
});
