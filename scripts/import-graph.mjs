#!/usr/bin/env node
// Prints the import graph of src/ at the level of the layer rule (ARCHITECTURE.md): one node per folder
// of src/ (src/payments, src/core/utils…) or per top-level file (src/client.ts, src/core/errors.ts…), one edge per
// pair with the number of import statements and the files behind them, then the cycles: between folders
// (allowed only inside one layer) and between files (biome's noImportCycles forbids those in src/). `--files` prints the file-level edges too; `--json` prints everything as JSON.
//
//   node scripts/import-graph.mjs            # the folder graph and its cycles
//   node scripts/import-graph.mjs --files    # every file-to-file import as well
//
// Imports are read with TypeScript's own pre-processor (`ts.preProcessFile`): static `import`/`export …
// from` and `import()` of a relative path. `import type` counts too (the layer rule covers types: a type
// import still ties a module to another's shape); the cycle list says which edges are type-only, since
// biome's noImportCycles ignores `import type` by default.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : /\.tsx?$/.test(name) ? [path] : [];
  });
}

/** `src/payments/flow/index.ts` → `src/payments`; `src/client.ts` → `src/client.ts`. */
function nodeOf(file) {
  const parts = relative(root, file).split('/');
  return parts.length > 2 ? parts.slice(0, 2).join('/') : parts.join('/');
}

function resolveImport(from, specifier) {
  const base = resolve(dirname(from), specifier).replace(/\.js$/, '');
  for (const candidate of [`${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {}
  }
  return undefined;
}

/** Whether every import of `specifier` in `text` is `import type` / `export type`. */
function typeOnly(text, specifier) {
  const quoted = specifier.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const statements = text.match(new RegExp(`(import|export)[^;]*?from\\s*['"]${quoted}['"]`, 'gs')) ?? [];
  return statements.length > 0 && statements.every((s) => /^(import|export)\s+type\b/.test(s));
}

const files = walk(src).sort();
const edges = []; // { from, to, typeOnly }
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const { importedFiles } = ts.preProcessFile(text, true, true);
  const seen = new Set();
  for (const { fileName } of importedFiles) {
    if (!fileName.startsWith('.') || seen.has(fileName)) continue;
    seen.add(fileName);
    const to = resolveImport(file, fileName);
    if (!to) throw new Error(`${relative(root, file)}: cannot resolve ${fileName}`);
    edges.push({ from: file, to, typeOnly: typeOnly(text, fileName) });
  }
}

const folderEdges = new Map(); // "a -> b" → files
for (const e of edges) {
  const a = nodeOf(e.from);
  const b = nodeOf(e.to);
  if (a === b) continue;
  const key = `${a} -> ${b}`;
  if (!folderEdges.has(key)) folderEdges.set(key, []);
  folderEdges
    .get(key)
    .push(`${relative(root, e.from)} -> ${relative(root, e.to)}${e.typeOnly ? ' (type)' : ''}`);
}

/** Strongly connected components of more than one node (Tarjan), i.e. the import cycles. */
function cycles(list, nodes = files) {
  const next = new Map();
  for (const e of list) {
    if (!next.has(e.from)) next.set(e.from, []);
    next.get(e.from).push(e.to);
  }
  let index = 0;
  const stack = [];
  const on = new Set();
  const idx = new Map();
  const low = new Map();
  const out = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of next.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        scc.push(w.startsWith(root) ? relative(root, w) : w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const f of nodes) if (!idx.has(f)) visit(f);
  return out;
}

const folderList = edges
  .map((e) => ({ from: nodeOf(e.from), to: nodeOf(e.to) }))
  .filter((e) => e.from !== e.to);
const result = {
  folderCycles: cycles(folderList, [...new Set(files.map(nodeOf))]),
  folders: [...folderEdges].sort(([a], [b]) => a.localeCompare(b)).map(([edge, via]) => ({ edge, via })),
  cycles: cycles(edges),
  runtimeCycles: cycles(edges.filter((e) => !e.typeOnly)),
};

if (process.argv.includes('--json')) {
  console.log(JSON.stringify(result, null, 2));
} else {
  const byNode = new Map();
  for (const { edge, via } of result.folders) {
    const [a, b] = edge.split(' -> ');
    if (!byNode.has(a)) byNode.set(a, []);
    byNode.get(a).push(`${b} (${via.length})`);
  }
  for (const [a, targets] of byNode) console.log(`${a}\n    -> ${targets.join(', ')}`);
  if (process.argv.includes('--files')) {
    console.log('\nfile edges across nodes:');
    for (const { via } of result.folders) for (const v of via) console.log(`  ${v}`);
  }
  console.log(`\ncycles between folders (allowed only inside one layer): ${result.folderCycles.length}`);
  for (const c of result.folderCycles) console.log(`  ${c.join(' · ')}`);
  console.log(`import cycles between files (type imports included): ${result.cycles.length}`);
  for (const c of result.cycles) console.log(`  ${c.join(' · ')}`);
  console.log(
    `import cycles between files at run time (import type ignored, as biome's noImportCycles does): ${result.runtimeCycles.length}`,
  );
  for (const c of result.runtimeCycles) console.log(`  ${c.join(' · ')}`);
}
