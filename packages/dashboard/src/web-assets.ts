import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** A static asset, in memory: the page is small, and this way nothing is read from disk per request. */
export interface Asset {
  readonly body: Uint8Array;
  readonly contentType: string;
}

const webDir = fileURLToPath(new URL('../web/', import.meta.url));
const require = createRequire(import.meta.url);

/**
 * The page's files: its HTML and CSS, its TypeScript bundled once into one
 * module (esbuild, at start-up: no build step, no generated files in the
 * repository), and Apache ECharts from node_modules (no CDN: the network may
 * be closed, and the page must not call out).
 */
export async function loadAssets(): Promise<Map<string, Asset>> {
  const bundle = await build({
    entryPoints: [`${webDir}app.ts`],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const js = bundle.outputFiles[0]!.contents;
  return new Map<string, Asset>([
    ['/', { body: await readFile(`${webDir}index.html`), contentType: 'text/html; charset=utf-8' }],
    ['/app.js', { body: js, contentType: 'text/javascript; charset=utf-8' }],
    ['/app.css', { body: await readFile(`${webDir}app.css`), contentType: 'text/css; charset=utf-8' }],
    [
      '/vendor/echarts.min.js',
      {
        body: await readFile(require.resolve('echarts/dist/echarts.min.js')),
        contentType: 'text/javascript; charset=utf-8',
      },
    ],
  ]);
}
