import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** A file of the IDE, served from memory. */
export interface IdeAsset {
  contentType: string;
  body: Uint8Array;
}

const BROWSER_DIR = fileURLToPath(new URL('../../../src/server/ide/browser/', import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.ttf': 'font/ttf',
};

/**
 * Bundles GraphiQL, React and Monaco's workers from node_modules with esbuild, in memory: the IDE
 * works offline and nothing is downloaded at run time. Takes a few seconds, so it runs once, on the
 * first request for the IDE.
 */
export async function bundleIde(): Promise<Map<string, IdeAsset>> {
  const result = await build({
    absWorkingDir: BROWSER_DIR,
    entryPoints: {
      ide: 'ide.jsx',
      'editor.worker': 'monaco-editor/esm/vs/editor/editor.worker.js',
      'json.worker': 'monaco-editor/esm/vs/language/json/json.worker.js',
      'graphql.worker': 'monaco-graphql/esm/graphql.worker.js',
    },
    bundle: true,
    write: false,
    outdir: 'out',
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    minify: true,
    legalComments: 'none',
    loader: { '.ttf': 'file' },
    assetNames: '[name]-[hash]',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  });
  const assets = new Map<string, IdeAsset>();
  for (const file of result.outputFiles) {
    const name = file.path.slice(file.path.lastIndexOf('/') + 1);
    const extension = name.slice(name.lastIndexOf('.'));
    assets.set(name, { contentType: CONTENT_TYPES[extension] ?? 'application/octet-stream', body: file.contents });
  }
  return assets;
}
