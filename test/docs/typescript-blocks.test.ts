import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { exampleFiles, parseDocument, ROOT, where, type CodeBlock } from './markdown.js';

/*
 * The TypeScript blocks of README.md and docs/ compile under the repository's tsconfig.json, each as a
 * module of its own placed next to its page (so imports resolve as they would for a reader). The
 * comment right above a block may say:
 *   <!-- fragment -->                 not a complete module: not compiled
 *   <!-- excerpt of path/to/file -->  a verbatim excerpt: the file must still hold it
 */

const TS_LANGUAGES: ReadonlySet<string> = new Set(['ts', 'typescript']);
const EXCERPT = /^excerpt of (\S+)$/;

const tsBlocks = exampleFiles().flatMap((file) =>
  parseDocument(file).blocks.filter((block) => TS_LANGUAGES.has(block.language)),
);

/** Type errors of the blocks, as lines naming the block and the line in the page. */
function typeErrors(blocks: readonly CodeBlock[]): string[] {
  const { config } = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, ROOT);
  // A snippet may declare something a reader would use later; everything else stays as strict as the code.
  const options: ts.CompilerOptions = { ...parsed.options, noEmit: true, noUnusedLocals: false };
  const sources = new Map<string, { block: CodeBlock; text: string }>(
    blocks.map((block, index) => [
      join(ROOT, dirname(block.file), `docs-block-${index}.ts`),
      { block, text: `${block.content}\nexport {};\n` },
    ]),
  );
  const host = ts.createCompilerHost(options);
  const readSource = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, ...rest) => {
    const source = sources.get(name);
    return source ? ts.createSourceFile(name, source.text, language) : readSource(name, language, ...rest);
  };
  host.fileExists = (name) => sources.has(name) || ts.sys.fileExists(name);
  host.readFile = (name) => sources.get(name)?.text ?? ts.sys.readFile(name);
  const program = ts.createProgram([...sources.keys()], options, host);
  return ts.getPreEmitDiagnostics(program).flatMap((diagnostic) => {
    const source = diagnostic.file && sources.get(diagnostic.file.fileName);
    if (!source || diagnostic.start === undefined || !diagnostic.file) return [];
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
    return [`${where({ file: source.block.file, line: source.block.line + line + 1 })}: ${message}`];
  });
}

/** A block that must not compile: proof that the check reports errors where they are. */
const WRONG: CodeBlock = {
  file: 'README.md',
  line: 1,
  language: 'ts',
  content: "import { createClient } from 'graphql-ws';\nconst client: number = createClient;\n",
  note: undefined,
};

describe('TypeScript blocks of README.md and docs/', () => {
  it('every complete block type-checks (mark fragments with <!-- fragment -->), and a wrong one does not', () => {
    const compiled = tsBlocks.filter((block) => block.note !== 'fragment' && !EXCERPT.test(block.note ?? ''));
    expect(compiled.length).toBeGreaterThan(0);
    expect(typeErrors([...compiled, WRONG])).toEqual([
      expect.stringMatching(/^README\.md:3: Type .* is not assignable/),
    ]);
  });

  it('every excerpt is still in its file, verbatim', () => {
    const excerpts = tsBlocks.flatMap((block) => {
      const path = EXCERPT.exec(block.note ?? '')?.[1];
      return path ? [{ block, path }] : [];
    });
    expect(excerpts.length).toBeGreaterThan(0);
    const stale = excerpts.filter(({ block, path }) => !readFileSync(join(ROOT, path), 'utf8').includes(block.content));
    expect(stale.map(({ block, path }) => `${where(block)} is no longer in ${path}`)).toEqual([]);
  });
});
