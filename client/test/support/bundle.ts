/** Bundles the library's browser entry the way an app's bundler would (esbuild, platform=browser). */
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';

export const ENTRY = fileURLToPath(new URL('../../src/index.js', import.meta.url));

export interface BrowserBundle {
  code: string;
  metafile: Metafile;
  /** every Node built-in any bundled module tried to import */
  nodeImports: { path: string; importer: string }[];
}

const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

export async function bundleForBrowser(entry = ENTRY): Promise<BrowserBundle> {
  const nodeImports: BrowserBundle['nodeImports'] = [];
  const flagNode: Plugin = {
    name: 'flag-node-builtins',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (!BUILTINS.has(args.path) && !args.path.startsWith('node:')) return undefined;
        nodeImports.push({ path: args.path, importer: args.importer });
        return { path: args.path, external: true };
      });
    },
  };
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome120', 'firefox120', 'safari17'],
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [flagNode],
  });
  return { code: result.outputFiles[0]!.text, metafile: result.metafile, nodeImports };
}
