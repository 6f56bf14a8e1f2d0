import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build as esbuild } from 'esbuild';
import { type Options, build as tsup } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import tsupConfig from '../../tsup.config.js';

/**
 * The main entry (`daraja-sdk`) uses web standards only, so it runs unchanged on Node, Bun, Deno, workerd
 * and edge runtimes: bundling it for the browser must succeed with no Node built-in resolved or left
 * external, from the source and from the build. The build is made with the package's own tsup
 * configuration (same entries, splitting and chunks as `npm run build`), into a scratch directory so it
 * never races pack.test.ts's build of dist/.
 */
const root = resolve(import.meta.dirname, '../..');
const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const isBuiltin = (path: string) => NODE_BUILTINS.has(path) || path.startsWith('node:');

let out: string;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'daraja-sdk-browser-'));
  const configs = (Array.isArray(tsupConfig) ? tsupConfig : [tsupConfig]) as Options[];
  for (const config of configs) {
    await tsup({ ...config, outDir: out, dts: false, sourcemap: false, silent: true, config: false });
  }
}, 180_000);

afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

/** Bundle `entry` for the browser; the Node built-ins it reached (resolved or external). */
async function browserBundle(entry: string): Promise<string[]> {
  const reached: string[] = [];
  const result = await esbuild({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    nodePaths: [join(root, 'node_modules')], // the built files import ky and zod, as the package does
    define: { __DARAJA_SDK_VERSION__: '"0.0.0"' },
    plugins: [
      {
        name: 'record-node-builtins',
        setup(b) {
          b.onResolve({ filter: /.*/ }, (args) => {
            if (isBuiltin(args.path)) reached.push(`${args.path} (from ${args.importer})`);
            return undefined;
          });
        },
      },
    ],
  });
  expect(result.errors).toEqual([]);
  const inputs = Object.keys(result.metafile.inputs);
  reached.push(
    ...inputs.filter((i) => isBuiltin(i) || /(^|\/)node_modules\/(buffer|crypto-browserify)\//.test(i)),
  );
  for (const output of Object.values(result.metafile.outputs))
    reached.push(...output.imports.filter((i) => i.external && isBuiltin(i.path)).map((i) => i.path));
  return reached;
}

/** The files `entry` imports, transitively, among the built chunks. */
async function chunkGraph(entry: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const visit = async (file: string) => {
    if (files.has(file)) return;
    const text = await readFile(join(out, file), 'utf8');
    files.set(file, text);
    for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["'](\.\/[^"']+)["']/g))
      await visit(m[1]!.slice(2));
  };
  await visit(entry);
  return files;
}

describe('the main entry on web runtimes', () => {
  it('bundles src/index.ts for the browser with no Node built-in', async () => {
    expect(await browserBundle(join(root, 'src/index.ts'))).toEqual([]);
  });

  it('bundles the built index.js (and the chunks it imports) for the browser with no Node built-in', async () => {
    expect((await readdir(out)).some((f) => /^chunk-.*\.js$/.test(f))).toBe(true); // splitting is on
    expect(await browserBundle(join(out, 'index.js'))).toEqual([]);
  });

  it.each(['index.js', 'index.cjs'])('%s and every chunk it imports name no node: module', async (entry) => {
    const graph = await chunkGraph(entry);
    expect(graph.size).toBeGreaterThan(0);
    const offenders = [...graph].filter(([, text]) =>
      /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)["']node:/.test(text),
    );
    expect(offenders.map(([file]) => file)).toEqual([]);
  });
});

// The entries that take the user's own client (a pg/PGlite, mysql2, MongoDB or Redis client) and the
// results parsers and handlers have no Node built-in of their own either, so they load on the same
// runtimes when that client does. (Their drivers are the user's: left external here.)
describe('the portable subpath entries', () => {
  it.each([
    ['daraja-sdk/results', 'src/inbound/index.ts'],
    ['daraja-sdk/postgres', 'src/postgres/index.ts'],
    ['daraja-sdk/mysql', 'src/mysql/index.ts'],
    ['daraja-sdk/mongodb', 'src/mongodb/index.ts'],
    ['daraja-sdk/redis', 'src/redis/index.ts'],
    ['daraja-sdk/messages', 'src/messages/index.ts'],
  ])('%s bundles for the browser with no Node built-in', async (_name, entry) => {
    expect(await browserBundle(join(root, entry))).toEqual([]);
  });
});
