import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CodeBlock, codeBlocks, guideFiles, marker, root } from './markdown.js';

// Every ```ts / ```typescript block of README.md and docs/*.md is type-checked, each as its own module,
// under the settings a careful user has (strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess,
// NodeNext), with `daraja-sdk` and its subpaths mapped to src/ and everything else (express, fastify, pg,
// PGlite…) resolved from node_modules. Free identifiers (`req`, `flow`, `user`…) come from
// snippet-globals.d.ts; a block may add a hidden preamble with `<!-- snippet-setup: … -->`, or opt out
// with `<!-- no-check: reason -->`. The conventions are in CONTRIBUTING.md.

const TS_LANGS = new Set(['ts', 'typescript']);
const SNIPPET_DIR = join(root, 'test/docs/__snippets__');
const GLOBALS = join(root, 'test/docs/snippet-globals.d.ts');
const MODULES = join(root, 'test/docs/snippet-modules.d.ts');

const ENTRIES: Record<string, string> = {
  'daraja-sdk': 'src/index.ts',
  'daraja-sdk/postgres': 'src/postgres/index.ts',
  'daraja-sdk/mongodb': 'src/mongodb/index.ts',
  'daraja-sdk/redis': 'src/redis/index.ts',
  'daraja-sdk/mysql': 'src/mysql/index.ts',
  'daraja-sdk/simulator': 'src/simulator/index.ts',
  'daraja-sdk/testing': 'src/testing/index.ts',
  'daraja-sdk/results': 'src/inbound/index.ts',
  'daraja-sdk/journal': 'src/journal/index.ts',
  'daraja-sdk/messages': 'src/messages/index.ts',
};

const SNIPPET_COMPILER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2023.d.ts'],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  moduleDetection: ts.ModuleDetectionKind.Force,
  types: ['node'],
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noEmit: true,
  skipLibCheck: true,
  allowUnreachableCode: true,
  paths: Object.fromEntries(
    Object.entries(ENTRIES)
      .filter(([, file]) => existsSync(join(root, file)))
      .map(([name, file]) => [name, [join(root, file)]]),
  ),
};

/** A snippet as the compiler sees it: a virtual module file. */
interface Snippet {
  block: CodeBlock;
  fileName: string;
  /** Lines of hidden preamble before the block's first line. */
  preambleLines: number;
  source: string;
}

function toSnippet(block: CodeBlock, name = block.id): Snippet {
  const setup = marker(block, 'snippet-setup') ?? '';
  const preamble = setup ? `${setup}\n` : '';
  // A block that shows a file of the repository is checked beside it, so its relative imports resolve.
  const path = marker(block, 'snippet-path');
  return {
    block,
    fileName: path
      ? join(root, dirname(path), `__snippet__${basename(path)}`)
      : join(SNIPPET_DIR, `${name.replace(/[^\w]+/g, '_')}.ts`),
    preambleLines: preamble ? preamble.split('\n').length - 1 : 0,
    // `export {}` keeps each block a module of its own, whatever it contains.
    source: `${preamble}${block.code}\nexport {};\n`,
  };
}

/** Type-check snippets in one program; the messages per snippet file, located in the markdown. */
function typeCheck(snippets: Snippet[]): Map<string, string[]> {
  const byName = new Map(snippets.map((s) => [s.fileName, s]));
  const host = ts.createCompilerHost(SNIPPET_COMPILER_OPTIONS, true);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const snippet = byName.get(fileName);
    if (snippet) return ts.createSourceFile(fileName, snippet.source, languageVersion, true);
    return getSourceFile(fileName, languageVersion, onError, shouldCreate);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (fileName) => byName.has(fileName) || fileExists(fileName);
  const readFile = host.readFile.bind(host);
  host.readFile = (fileName) => byName.get(fileName)?.source ?? readFile(fileName);

  const program = ts.createProgram([GLOBALS, MODULES, ...byName.keys()], SNIPPET_COMPILER_OPTIONS, host);
  const results = new Map<string, string[]>();
  const global = [...program.getGlobalDiagnostics(), ...program.getOptionsDiagnostics()];
  for (const file of [GLOBALS, MODULES]) {
    const source = program.getSourceFile(file);
    if (source) global.push(...program.getSemanticDiagnostics(source));
  }
  if (global.length > 0)
    throw new Error(`snippet-globals.d.ts, snippet-modules.d.ts or options: ${format(global, undefined)}`);
  for (const snippet of snippets) {
    const file = program.getSourceFile(snippet.fileName)!;
    const diagnostics = [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)];
    results.set(
      snippet.fileName,
      diagnostics.map((d) => format([d], snippet)),
    );
  }
  return results;
}

function format(diagnostics: readonly ts.Diagnostic[], snippet: Snippet | undefined): string {
  return diagnostics
    .map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n  ');
      if (!d.file || d.start === undefined) return `TS${d.code}: ${text}`;
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      const where = snippet
        ? line < snippet.preambleLines
          ? `${snippet.block.id} (snippet-setup)`
          : `${snippet.block.file}:${snippet.block.line + 1 + line - snippet.preambleLines}`
        : `${d.file.fileName}:${line + 1}`;
      return `${where} TS${d.code}: ${text}`;
    })
    .join('\n');
}

const blocks = guideFiles().flatMap((file) => codeBlocks(file).filter((b) => TS_LANGS.has(b.lang)));
const skipped = blocks.filter((b) => marker(b, 'no-check') !== undefined);
const snippets = blocks.filter((b) => marker(b, 'no-check') === undefined).map((b) => toSnippet(b));

// Canaries: the same program must reject snippets that are wrong, or a broken setup (say, every import
// resolving to `any`) would let every real snippet pass.
const canary = (code: string, name: string): Snippet =>
  toSnippet({ file: 'canary', line: 0, lang: 'ts', code, markers: [], id: `canary:${name}` }, name);
const canaries = {
  misspelt: canary(
    `import { Daraja } from 'daraja-sdk';\nawait Daraja.fromEnv().stk.pushh({ phoneNumber: '0712345678', amount: 1, accountReference: 'A' });`,
    'canary-misspelt',
  ),
  exactOptional: canary(
    `import { Daraja } from 'daraja-sdk';\ndeclare const url: string | undefined;\nawait Daraja.fromEnv().stk.push({ phoneNumber: '0712345678', amount: 1, accountReference: 'A', callbackUrl: url });`,
    'canary-exact-optional',
  ),
  express: canary(
    `import express from 'express';\nconst app = express();\napp.post('/x', (req, res) => { res.status('200'); });`,
    'canary-express',
  ),
};

describe('TypeScript snippets in README.md and docs/*.md', () => {
  let results: Map<string, string[]>;
  beforeAll(() => {
    results = typeCheck([...snippets, ...Object.values(canaries)]);
  }, 180_000);

  it('finds the snippets, and every skipped one says why', () => {
    expect(snippets.length).toBeGreaterThan(20);
    const reasons = skipped.map((b) => `${b.id}: ${marker(b, 'no-check')}`);
    console.info(
      `Type-checked ${snippets.length} snippets; skipped ${skipped.length}${reasons.length ? `:\n  ${reasons.join('\n  ')}` : '.'}`,
    );
    for (const b of skipped) expect(marker(b, 'no-check'), b.id).not.toBe('');
  });

  it('the check rejects wrong code (canaries)', () => {
    expect(results.get(canaries.misspelt.fileName)!.join('\n')).toMatch(/TS2551|TS2339/);
    expect(results.get(canaries.exactOptional.fileName)!.join('\n')).toMatch(/TS2379/);
    expect(results.get(canaries.express.fileName)!.join('\n')).toMatch(/TS2345/);
  });

  it('a block marked snippet-path shows that file as it is', () => {
    for (const s of snippets) {
      const path = marker(s.block, 'snippet-path');
      if (path === undefined) continue;
      expect(s.block.code.trimEnd(), s.block.id).toBe(readFileSync(join(root, path), 'utf8').trimEnd());
    }
  });

  it.each(snippets.map((s) => [s.block.id, s] as const))('%s compiles', (_id, snippet) => {
    expect(results.get(snippet.fileName)!.join('\n')).toBe('');
  });
});
