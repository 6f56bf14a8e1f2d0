import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { codeBlocks, guideFiles, marker, root } from './markdown.js';

// The ```ts blocks marked `<!-- snippet-run: … -->` run as they are, in an empty folder, with `daraja-sdk`
// resolved to src/ (examples/tsconfig.json) and the rest from node_modules: a snippet that type-checks
// but fails when run (a folder that does not exist, a missing `migrate()`) fails here.
const run = promisify(execFile);
const blocks = guideFiles().flatMap((file) =>
  codeBlocks(file).filter((b) => b.lang === 'ts' && marker(b, 'snippet-run') !== undefined),
);
// Inside the repository (so tsx applies the tsconfig paths), in a git-ignored folder.
const dir = join(root, '.data', `docs-snippets-${process.pid}`);
const cwds: string[] = [];

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  for (const cwd of cwds) rmSync(cwd, { recursive: true, force: true });
});

describe('runnable snippets of README.md and docs/*.md', () => {
  it('there are some, and none relies on a hidden preamble', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const b of blocks) expect(marker(b, 'snippet-setup'), b.id).toBeUndefined();
  });

  it.each(blocks.map((b) => [b.id, b] as const))(
    '%s runs and exits 0',
    async (_id, block) => {
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${block.id.replace(/[^\w]+/g, '_')}.mts`);
      writeFileSync(file, block.code);
      const cwd = mkdtempSync(join(tmpdir(), 'daraja-snippet-'));
      cwds.push(cwd);
      const tsx = join(root, 'node_modules', '.bin', 'tsx');
      const { stderr } = await run(tsx, ['--tsconfig', join(root, 'examples/tsconfig.json'), file], {
        cwd,
        timeout: 150_000,
        env: { ...process.env, NODE_ENV: 'test' },
      });
      expect(stderr).not.toMatch(/Error/);
    },
    180_000,
  );
});
