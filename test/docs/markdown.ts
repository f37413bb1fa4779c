import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import MarkdownIt from 'markdown-it';

/** The repository's root directory. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const markdown = new MarkdownIt({ html: true });

const SKIPPED_DIRECTORIES: ReadonlySet<string> = new Set(['node_modules', 'dist']);

/**
 * The documentation a reader of a clone sees: README.md and the Markdown files of docs/, examples/ and
 * packages/ (paths relative to ROOT).
 */
export function documentationFiles(): string[] {
  const under = (dir: string): string[] =>
    existsSync(join(ROOT, dir))
      ? readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
          const path = join(dir, entry.name);
          if (entry.isDirectory()) return SKIPPED_DIRECTORIES.has(entry.name) ? [] : under(path);
          return entry.name.endsWith('.md') ? [path] : [];
        })
      : [];
  return ['README.md', ...under('docs'), ...under('examples'), ...under('packages')].sort();
}

/** The pages whose examples are run or compiled: README.md and docs/. */
export const exampleFiles = (): string[] =>
  documentationFiles().filter((file) => file === 'README.md' || file.startsWith(`docs${sep}`));

export interface CodeBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The info string's first word: `sh`, `ts`, `graphql`… */
  language: string;
  content: string;
  /** The HTML comment right above the fence, if any, e.g. `not run: needs a real MongoDB`. */
  note: string | undefined;
}

export interface Link {
  file: string;
  line: number;
  href: string;
}

export interface ParsedDocument {
  blocks: CodeBlock[];
  links: Link[];
}

const COMMENT = /^<!--\s*(.*?)\s*-->\s*$/s;

export function parseDocument(file: string): ParsedDocument {
  const tokens = markdown.parse(readFileSync(join(ROOT, file), 'utf8'), {});
  const blocks: CodeBlock[] = [];
  const links: Link[] = [];
  let blockLine = 1;
  tokens.forEach((token, index) => {
    if (token.map) blockLine = token.map[0] + 1;
    if (token.type === 'fence') {
      const previous = tokens[index - 1];
      const comment = previous?.type === 'html_block' ? COMMENT.exec(previous.content.trim()) : null;
      blocks.push({
        file,
        line: blockLine,
        language: token.info.trim().split(/\s+/)[0] ?? '',
        content: token.content,
        note: comment?.[1],
      });
    }
    for (const child of token.children ?? []) {
      const href =
        child.type === 'link_open' ? child.attrGet('href') : child.type === 'image' ? child.attrGet('src') : null;
      if (href !== null) links.push({ file, line: blockLine, href: String(href) });
    }
  });
  return { blocks, links };
}

export const where = (item: { file: string; line: number }) => `${relative('.', join(ROOT, item.file))}:${item.line}`;
