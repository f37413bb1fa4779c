import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ROOT } from './markdown.js';

/*
 * Every variable src/config.ts reads has a row in docs/configuration.md and a line in .env.example,
 * and the values it shows (commented out or not) pass the start-up validation.
 */

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const names = (text: string, pattern: RegExp) => new Set([...text.matchAll(pattern)].map((match) => match[1]));

const configVariables = [...names(read('src/config.ts'), /^\s+([A-Z][A-Z0-9_]+): variable\(/gm)];
const envExample = read('.env.example');

describe('configuration documentation', () => {
  it('finds the variables of src/config.ts', () => {
    expect(configVariables).toEqual(expect.arrayContaining(['PORT', 'HOST', 'MONGODB_URI', 'AUTH_JWKS_URL']));
  });

  it('docs/configuration.md has a row for every variable', () => {
    const documented = names(read('docs/configuration.md'), /^\| `([A-Z][A-Z0-9_]+)`/gm);
    expect(configVariables.filter((name) => !documented.has(name))).toEqual([]);
  });

  it('.env.example has a line for every variable, and its values are valid', () => {
    const listed = names(envExample, /^#?\s*([A-Z][A-Z0-9_]+)=/gm);
    expect(configVariables.filter((name) => !listed.has(name))).toEqual([]);
    const examples = Object.fromEntries(
      [...envExample.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=(.*)$/gm)].map((match) => [match[1], match[2]]),
    );
    expect(() => loadConfig(examples)).not.toThrow();
  });
});
