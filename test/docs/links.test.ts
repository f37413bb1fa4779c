import { existsSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { documentationFiles, parseDocument, ROOT, where, type Link } from './markdown.js';

/** What is wrong with a link, or null when it resolves to a file of the repository. */
function problemOf(link: Link): string | null {
  const { href } = link;
  if (/^(https?:|mailto:)/i.test(href)) return null;
  if (/^[a-z][a-z0-9+.-]*:/i.test(href)) return 'uses a scheme other than http(s) or mailto';
  const path = decodeURIComponent(href.split('#')[0] ?? '');
  if (path === '') return null;
  if (path.startsWith('/')) return 'is absolute: links are relative to the page';
  const target = join(ROOT, dirname(link.file), path);
  const inside = relative(ROOT, target);
  if (inside.startsWith('..') || inside.split(sep).includes('node_modules')) return 'leaves the repository';
  return existsSync(target) ? null : 'points to nothing';
}

describe('links of README.md, docs/ and examples/', () => {
  const files = documentationFiles();

  it('finds the documentation', () => {
    expect(files).toContain('README.md');
    expect(files).toContain(join('docs', 'configuration.md'));
  });

  it('every relative link resolves to a file inside the repository', () => {
    const links = files.flatMap((file) => parseDocument(file).links);
    expect(links.length).toBeGreaterThan(0);
    const broken = links.flatMap((link) => {
      const problem = problemOf(link);
      return problem ? [`${where(link)} ${link.href} ${problem}`] : [];
    });
    expect(broken).toEqual([]);
  });

  it('the checker refuses links that leave the repository or point to nothing', () => {
    const at = (href: string): Link => ({ file: 'README.md', line: 1, href });
    expect(problemOf(at('../shared/CONTRACT.md'))).toBe('leaves the repository');
    expect(problemOf(at('docs/../../outside.md'))).toBe('leaves the repository');
    expect(problemOf(at('docs/no-such-page.md'))).toBe('points to nothing');
    expect(problemOf(at('/etc/passwd'))).toBe('is absolute: links are relative to the page');
    expect(problemOf(at('file:///etc/passwd'))).toBe('uses a scheme other than http(s) or mailto');
    expect(problemOf(at('docs/configuration.md#configuration'))).toBeNull();
  });
});
