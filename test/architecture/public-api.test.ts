import { resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// src/index.ts re-exports core/limits.ts and each resource file whole (`export *`), so that adding an
// operation or a constant needs no line there. The price is that whatever those files export is public:
// this test fails when a package entry exposes a symbol tagged `@internal` (a helper belongs in a file of
// its own), and when it exposes one without TSDoc.

const root = resolve(import.meta.dirname, '../..');
const ENTRIES = [
  'src/index.ts',
  'src/postgres/index.ts',
  'src/mongodb/index.ts',
  'src/redis/index.ts',
  'src/mysql/index.ts',
  'src/testing/index.ts',
  'src/simulator/index.ts',
  'src/inbound/index.ts',
  'src/journal/index.ts',
  'src/messages/index.ts',
];

function exportsOf(entries: string[]) {
  const program = ts.createProgram(
    entries.map((e) => resolve(root, e)),
    {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      skipLibCheck: true,
      noEmit: true,
    },
  );
  const checker = program.getTypeChecker();
  return entries.flatMap((entry) => {
    const file = program.getSourceFile(resolve(root, entry));
    const module = file && checker.getSymbolAtLocation(file);
    if (!module) throw new Error(`cannot read ${entry}`);
    return checker.getExportsOfModule(module).map((exported) => {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const declarations = symbol.declarations ?? [];
      const tags = declarations.flatMap((d) => ts.getJSDocTags(d).map((t) => t.tagName.text));
      const documented = declarations.some(
        (d) => ts.getJSDocCommentsAndTags(d).length > 0 || ts.getJSDocCommentsAndTags(d.parent).length > 0,
      );
      return { name: `${entry}: ${exported.name}`, internal: tags.includes('internal'), documented };
    });
  });
}

describe('the public API', () => {
  const exported = exportsOf(ENTRIES);

  it('reads the entries (src/index.ts re-exports every resource file)', () => {
    const names = exported.map((e) => e.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'src/index.ts: B2c',
        'src/index.ts: B2cPayToPochiParams',
        'src/index.ts: POCHI_MIN_AMOUNT',
        'src/index.ts: StkPushParams',
        'src/index.ts: Daraja',
      ]),
    );
    expect(names.length).toBeGreaterThan(250);
  });

  it('exposes nothing tagged @internal', () => {
    expect(exported.filter((e) => e.internal).map((e) => e.name)).toEqual([]);
  });

  it('documents every symbol it exposes', () => {
    expect(exported.filter((e) => !e.documented).map((e) => e.name)).toEqual([]);
  });
});
