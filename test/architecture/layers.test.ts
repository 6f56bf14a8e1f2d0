import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The layer rule of ARCHITECTURE.md bites: lint (biome.jsonc) fails on an import that breaks it and on
// an import cycle. Each probe is a small file written into a folder of src/, linted with the repository's
// own configuration, then removed. A probe that may import what it imports is linted too, so a failure
// is the rule's and not the probe's. Without the overrides of biome.jsonc (or without noImportCycles) the
// forbidden probes lint clean and this test fails.

const root = resolve(import.meta.dirname, '../..');
const biome = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');
const RESTRICTED = 'lint/style/noRestrictedImports';
const CYCLE = 'lint/suspicious/noImportCycles';

interface Diagnostic {
  rule: string;
  file: string;
  line: number;
  message: string;
}

/** Lints `files` (paths relative to `cwd`) with biome; its GitHub reporter gives one line per diagnostic. */
function lint(files: string[], cwd = root, extra: string[] = []): Diagnostic[] {
  const run = spawnSync(
    process.execPath,
    [biome, 'lint', '--reporter=github', '--max-diagnostics=none', ...extra, ...files],
    { cwd, encoding: 'utf8' },
  );
  if (run.error) throw run.error;
  const found = [...run.stdout.matchAll(/^::error title=([^,]+),file=([^,]+),line=(\d+),[^:]*::(.*)$/gm)].map(
    (m) => ({ rule: m[1]!, file: relative(cwd, resolve(cwd, m[2]!)), line: Number(m[3]), message: m[4]! }),
  );
  // Exit code 1 with no diagnostic would be biome failing to run (a broken config): say so.
  if (run.status !== 0 && found.length === 0) throw new Error(`biome failed:\n${run.stdout}\n${run.stderr}`);
  return found;
}

/** Writes the probes, runs `body`, and removes them (and any folder it made for them) whatever happens. */
function withProbes<T>(probes: Record<string, string>, body: () => T): T {
  const created: string[] = [];
  try {
    for (const [path, text] of Object.entries(probes)) {
      const dir = dirname(join(root, path));
      if (!existsDir(dir)) {
        created.push(outermostMissing(dir));
        mkdirSync(dir, { recursive: true });
      }
      writeFileSync(join(root, path), text);
      created.push(join(root, path));
    }
    return body();
  } finally {
    for (const path of created.reverse()) rmSync(path, { recursive: true, force: true });
  }
}

function existsDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function outermostMissing(dir: string): string {
  let missing = dir;
  while (!existsDir(dirname(missing))) missing = dirname(missing);
  return missing;
}

const PROBE = '__layer_probe__';

// Forbidden imports, one per boundary of the rule: [probe file, its import, what the rule says].
const forbidden: [string, string, string][] = [
  // core → a product, the flow, the client
  [`src/core/utils/${PROBE}.ts`, `import type { Payment } from '../../payments/types.js';`, 'core'],
  [`src/core/http/${PROBE}.ts`, `import { TokenManager } from '../auth/token-manager.js';`, 'http/'],
  [`src/core/auth/${PROBE}.ts`, `import { Stk } from '../../resources/stk/stk.js';`, 'auth/'],
  [`src/core/utils/${PROBE}_client.ts`, `import type { Daraja } from '../../client.js';`, 'core'],
  [`src/core/http/${PROBE}_env.ts`, `import { DARAJA_ENV_VARS } from '../../client-env.js';`, 'http/'],
  [`src/core/errors/${PROBE}.ts`, `import { Stk } from '../../resources/stk/stk.js';`, 'core'],
  // a product → what Daraja sends you (inbound/): the old c2b/ ⇄ results/ cycle cannot come back
  [`src/resources/c2b/${PROBE}.ts`, `import { parseResult } from '../../inbound/result.js';`, 'resource'],
  [
    `src/resources/stk/${PROBE}.ts`,
    `import { parseStkCallback } from '../../inbound/stk-callback.js';`,
    'resource',
  ],
  // inbound → the client or the flow
  [`src/inbound/${PROBE}.ts`, `import type { Daraja } from '../client.js';`, 'inbound/'],
  // the flow, in a subfolder as deep as its step files → a store adapter
  [
    `src/payments/${PROBE}/step.ts`,
    `import { PostgresPaymentStore } from '../../postgres/store.js';`,
    'payments/',
  ],
  // adapters → another adapter, or an entry point
  [
    `src/postgres/${PROBE}.ts`,
    `import { FileCallbackJournal } from '../journal/file-journal.js';`,
    'adapter',
  ],
  [`src/testing/${PROBE}.ts`, `import { Daraja } from '../index.js';`, 'adapter'],
  [`src/redis/${PROBE}.ts`, `import { PostgresTokenCache } from '../postgres/token-cache.js';`, 'adapter'],
  [`src/mysql/${PROBE}.ts`, `import { toPayment } from '../postgres/rows.js';`, 'adapter'],
  // standalone folders → anything of the SDK, exceptions included for a new file
  [
    `src/messages/${PROBE}.ts`,
    `import type { PaymentStatus } from '../core/payment-status.js';`,
    'standalone',
  ],
  [
    `src/simulator/${PROBE}.ts`,
    `import { darajaTimestamp } from '../core/utils/timestamp.js';`,
    'standalone',
  ],
  [
    `src/simulator/${PROBE}_errors.ts`,
    `import { DarajaConfigError } from '../core/errors.js';`,
    'standalone',
  ],
];

// Allowed imports across the same boundaries: the rule lets these through.
const allowed: [string, string][] = [
  [`src/core/utils/${PROBE}_ok.ts`, `import { DarajaError } from '../errors.js';`],
  [`src/core/auth/${PROBE}_ok.ts`, `import type { Transport } from '../http/transport.js';`],
  [`src/resources/c2b/${PROBE}_ok.ts`, `import { isRecord } from '../../core/utils/readers.js';`],
  [`src/inbound/${PROBE}_ok.ts`, `import { STK_RESULT_CODES } from '../resources/stk/result-codes.js';`],
  [
    `src/payments/${PROBE}_ok/step.ts`,
    `import type { Daraja } from '../../client.js';\nimport type { Payment } from '../types.js';`,
  ],
  [`src/cli/${PROBE}_ok.ts`, `import { PostgresPaymentStore } from '../postgres/store.js';`],
];

/** A module whose only line is `importLine`, plus an export using what it imports (so it is valid code). */
function probeModule(importLine: string): string {
  const names = [...importLine.matchAll(/\{\s*(?:type\s+)?([A-Za-z]+)\s*\}/g)].map((m) => m[1]!);
  const typeOnly = /^import type /.test(importLine);
  const use = typeOnly
    ? `export type Probe = [${names.join(', ')}];`
    : `export const probe = [${names.join(', ')}];`;
  return `${importLine}\n${use}\n`;
}

describe('the layer rule (ARCHITECTURE.md) is enforced by lint', () => {
  it('an import of a higher layer fails with noRestrictedImports, at every boundary; allowed ones pass', () => {
    const probes = Object.fromEntries(
      [...forbidden.map(([file, line]) => [file, line] as const), ...allowed].map(([file, line]) => [
        file,
        probeModule(line),
      ]),
    );
    const diagnostics = withProbes(probes, () => lint(Object.keys(probes)));

    for (const [file, line, layer] of forbidden) {
      const mine = diagnostics.filter((d) => d.file === file);
      expect(mine, `${file}: ${line}`).toEqual([
        expect.objectContaining({
          rule: RESTRICTED,
          line: 1,
          message: expect.stringContaining('Layer rule'),
        }),
      ]);
      expect(mine[0]!.message).toContain(layer);
    }
    for (const [file] of allowed) expect(diagnostics.filter((d) => d.file === file)).toEqual([]);
  });

  it('an import cycle between two files fails with noImportCycles', () => {
    const a = `src/core/utils/${PROBE}_cycle_a.ts`;
    const b = `src/core/utils/${PROBE}_cycle_b.ts`;
    const diagnostics = withProbes(
      {
        [a]: `import { b } from './${PROBE}_cycle_b.js';\nexport const a = (): number => b() + 1;\n`,
        [b]: `import { a } from './${PROBE}_cycle_a.js';\nexport const b = (): number => a() - 1;\n`,
      },
      () => lint([a, b]),
    );
    expect(diagnostics.filter((d) => d.rule === CYCLE).map((d) => d.file)).toEqual([a, b]);
  });

  it('an exception lets its file import only the names it lists: one more name from the same module fails', () => {
    // The probe is a copy of src/messages/index.ts (whose one exception is the PaymentStatus type) with one
    // more name imported from the same module, in a scratch folder beside a copy of biome.jsonc (the real
    // file is left alone).
    const scratch = mkdtempSync(join(tmpdir(), 'layer-probe-'));
    try {
      writeFileSync(join(scratch, 'biome.jsonc'), readFileSync(join(root, 'biome.jsonc')));
      mkdirSync(join(scratch, 'src/messages'), { recursive: true });
      const original = readFileSync(join(root, 'src/messages/index.ts'), 'utf8');
      writeFileSync(join(scratch, 'src/messages/index.ts'), original);
      expect(lint(['src/messages/index.ts'], scratch, ['--vcs-enabled=false'])).toEqual([]);

      const extra = `${original}\nimport { isTerminalPaymentStatus } from '../core/payment-status.js';\nexport const probe = isTerminalPaymentStatus;\n`;
      writeFileSync(join(scratch, 'src/messages/index.ts'), extra);
      expect(lint(['src/messages/index.ts'], scratch, ['--vcs-enabled=false'])).toEqual([
        expect.objectContaining({
          rule: RESTRICTED,
          message: expect.stringContaining('messages/ may import only the PaymentStatus type'),
        }),
      ]);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('a file over 400 lines or a function over 80 fails lint in src/ (the sizes of ARCHITECTURE.md)', () => {
    const body = (n: number) => Array.from({ length: n }, (_, i) => `  total += ${i};`).join('\n');
    const longFunction = `export function probe(): number {\n  let total = 0;\n${body(85)}\n  return total;\n}\n`;
    const shortFunctions = Array.from(
      { length: 41 },
      (_, i) => `export function probe${i}(): number {\n  let total = 0;\n${body(6)}\n  return total;\n}\n`,
    );
    const fn = `src/core/utils/${PROBE}_long_function.ts`;
    const file = `src/core/utils/${PROBE}_long_file.ts`;
    const fine = `src/core/utils/${PROBE}_fine.ts`;
    const diagnostics = withProbes(
      { [fn]: longFunction, [file]: shortFunctions.join(''), [fine]: shortFunctions.slice(0, 3).join('') },
      () => lint([fn, file, fine]),
    );
    expect(diagnostics.filter((d) => d.file === fn).map((d) => d.rule)).toEqual([
      'lint/complexity/noExcessiveLinesPerFunction',
    ]);
    expect(diagnostics.filter((d) => d.file === file).map((d) => d.rule)).toEqual([
      'lint/style/noExcessiveLinesPerFile',
    ]);
    expect(diagnostics.filter((d) => d.file === fine)).toEqual([]);
  });

  it("names in src/ stay unique, as the rule's patterns need: no two folders share a name, nor the files it names", () => {
    // `**/stk/**` means "through the folder src/resources/stk" only while no other folder is called `stk`; the
    // same for the files the rule names (`**/client.js`, `**/errors.js`…).
    const ruleFiles = new Set([
      'client.ts',
      'errors.ts',
      'logger.ts',
      'version.ts',
      'payment-status.ts',
      'resource.ts',
    ]);
    const seen = new Map<string, string>();
    const clashes: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, e.name);
        if (!e.isDirectory() && !ruleFiles.has(e.name)) continue;
        const key = `${e.isDirectory() ? 'dir' : 'file'}:${e.name}`;
        if (seen.has(key)) clashes.push(`${relative(root, path)} (also ${seen.get(key)})`);
        else seen.set(key, relative(root, path));
        if (e.isDirectory()) walk(path);
      }
    };
    walk(join(root, 'src'));
    expect(clashes).toEqual([]);
  });
});
