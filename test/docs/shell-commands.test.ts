import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CodeBlock, codeBlocks, commandsOf, guideFiles, marker, root } from './markdown.js';

// Every shell command the README and the guides show, in ```sh / ```bash blocks and in inline `npx …` /
// `npm …` spans, either runs somewhere in this repository's tests or CI (RUNNERS below names where, and
// the named file must contain the evidence), or sits in a block marked `<!-- needs-credentials: why -->`
// (real Safaricom credentials, a production database, your phone) or `<!-- no-run: why -->`. A command
// shown to users that nothing runs and nothing marks fails here. Conventions: CONTRIBUTING.md.

const SHELL_LANGS = new Set(['sh', 'bash', 'shell', 'console']);

interface Runner {
  /** The commands it covers (after environment assignments are stripped). */
  command: RegExp;
  /** The file that runs them: a test, or the CI script. */
  file: string;
  /** Text that file must contain, showing it runs the command. */
  evidence: string[];
}

const RUNNERS: Runner[] = [
  { command: /^npm ci$/, file: '.ci/run', evidence: ['npm ci'] },
  { command: /^npm test$/, file: '.ci/run', evidence: ['npm test'] },
  { command: /^npm run docs$/, file: '.ci/run', evidence: ['npm run docs'] },
  { command: /^npm start$/, file: 'test/examples/start.test.ts', evidence: ["'start'"] },
  {
    command: /^npm run start:fastify$/,
    file: 'test/examples/database-outage.test.ts',
    evidence: ['start:fastify'],
  },
  {
    command: /^npm run start:hono$/,
    file: 'test/examples/startup.test.ts',
    evidence: ["'npm run start:hono'"],
  },
  {
    command: /^npm run start:nextjs$/,
    file: 'test/examples/startup.test.ts',
    evidence: ["'npm run start:nextjs'"],
  },
  // The offline equivalent: the packed tarball installed into a scratch project.
  { command: /^npm install daraja-sdk$/, file: 'test/package/pack.test.ts', evidence: ["'install'", 'npm'] },
  { command: /^npm install pg$/, file: 'test/integration/cli-migrate.test.ts', evidence: ['npm install pg'] },
  {
    command: /^npx tsx --tsconfig examples\/tsconfig\.json examples\/operations\/[\w-]+\.ts$/,
    file: 'test/examples/operations.test.ts',
    evidence: ["'tsx'", "'--tsconfig'", 'examples/tsconfig.json'],
  },
  { command: /^npx tsx [\w-]+\.ts$/, file: 'test/examples/operations.test.ts', evidence: ["'tsx'"] },
  {
    command: /^npx daraja(-sdk)? (doctor|--help|help)( |$)/,
    file: 'test/integration/cli-doctor.test.ts',
    evidence: ["'doctor'", "'--push'", "'--json'", "'--callback-url'"],
  },
  { command: /^npx daraja(-sdk)?$/, file: 'test/package/pack.test.ts', evidence: ["'--help'"] },
  {
    command: /^npx daraja(-sdk)? migrate$/,
    file: 'test/integration/cli-migrate.test.ts',
    evidence: ["'migrate'"],
  },
  { command: /^npx daraja(-sdk)? sim$/, file: 'test/integration/cli.test.ts', evidence: ["'sim'"] },
  {
    command: /^npx daraja-sim( --(callback-delay-ms \d+|port \d+|mode manual|realistic|seed \d+))*$/,
    file: 'test/integration/simulator-cli.test.ts',
    evidence: ['--callback-delay-ms', '--port', '--mode', 'manual'],
  },
  {
    command: /^npx daraja-sim( --(callback-delay-ms \d+|port \d+|mode manual|realistic|seed \d+))*$/,
    file: 'test/integration/simulator-realism.test.ts',
    evidence: ['--realistic', '--seed'],
  },
  // The simulator's control API: each curl command of the guides runs, in order, against a simulator.
  {
    command: /^curl (-X (GET|POST) )?http:\/\/127\.0\.0\.1:4010\/simulator\//,
    file: 'test/docs/simulator-curl.test.ts',
    evidence: ['parseCurl', 'commandsOf'],
  },
];

/** Commands shown in prose or in blocks that also hold commands that run: not run, and why. */
const NOT_RUN: { command: RegExp; why: string }[] = [
  {
    command: /^npm run bench$/,
    why: 'measures speed and size for minutes on a quiet machine; run by hand to refresh docs/benchmarks.md',
  },
];

/** One command as shown in a guide, with where it is shown. */
interface Shown {
  command: string;
  where: string;
  block?: CodeBlock;
}

const blocks = guideFiles().flatMap((file) => codeBlocks(file).filter((b) => SHELL_LANGS.has(b.lang)));
const marked = blocks.filter(
  (b) => marker(b, 'needs-credentials') !== undefined || marker(b, 'no-run') !== undefined,
);
const shown: Shown[] = [
  ...blocks
    .filter((b) => !marked.includes(b))
    .flatMap((b) => commandsOf(b.code).map((command) => ({ command, where: b.id, block: b }))),
  // Inline `npx …` / `npm …` spans in the prose (outside code blocks).
  ...guideFiles().flatMap((file) => {
    const text = readFileSync(join(root, file), 'utf8');
    const prose = text.replace(/^(`{3,}|~{3,})[\s\S]*?^\1/gm, (m) => m.replace(/[^\n]/g, ''));
    return prose
      .split('\n')
      .flatMap((line, i) =>
        [...line.matchAll(/`((?:npx|npm) [^`]+)`/g)].flatMap((m) =>
          commandsOf(m[1]!).map((command) => ({ command, where: `${file}:${i + 1}` })),
        ),
      );
  }),
];

describe('shell commands shown in README.md and docs/*.md', () => {
  it('lists what is not run, and why', () => {
    const lines = marked.map(
      (b) =>
        `${b.id}: ${marker(b, 'needs-credentials') !== undefined ? `needs credentials: ${marker(b, 'needs-credentials')}` : `not run: ${marker(b, 'no-run')}`}`,
    );
    for (const n of NOT_RUN) {
      const where = shown.filter((s) => n.command.test(s.command)).map((s) => s.where);
      lines.push(`${n.command.source} (${where.join(', ') || 'not shown'}): not run: ${n.why}`);
    }
    console.info(
      `${shown.length} commands shown; every one runs in a test or CI except these:\n  ${lines.join('\n  ')}`,
    );
    expect(blocks.length).toBeGreaterThan(10);
    for (const b of marked) expect(marker(b, 'needs-credentials') ?? marker(b, 'no-run'), b.id).not.toBe('');
  });

  it('every runner exists and shows it runs its commands', () => {
    for (const r of RUNNERS) {
      const path = join(root, r.file);
      expect(existsSync(path), r.file).toBe(true);
      const source = readFileSync(path, 'utf8');
      for (const e of r.evidence) expect(source, `${r.file} should contain ${e}`).toContain(e);
    }
  });

  it.each(shown.map((s) => [`${s.where}: ${s.command}`, s] as const))('%s', (_name, s) => {
    if (NOT_RUN.some((n) => n.command.test(s.command))) return;
    const runners = RUNNERS.filter((r) => r.command.test(s.command));
    expect(
      runners.map((r) => r.file),
      `no test or CI step runs "${s.command}": run it in a test and add it to RUNNERS, or mark its block <!-- needs-credentials: … --> or <!-- no-run: … -->`,
    ).not.toEqual([]);
  });

  it('the command splitter reads what guides write', () => {
    expect(commandsOf('npm ci && npm start   # a comment')).toEqual(['npm ci', 'npm start']);
    expect(commandsOf('MPESA_A=1 \\\n  MPESA_B=2 \\\nnpx daraja-sdk doctor --push 0712345678  # x')).toEqual([
      'npx daraja-sdk doctor --push 0712345678',
    ]);
    expect(commandsOf('export A=$(openssl rand -base64 32)\nMPESA_X=…   # only settings')).toEqual([]);
    expect(commandsOf('npx daraja-sdk sim &')).toEqual(['npx daraja-sdk sim']);
    expect(commandsOf('npx daraja-sdk doctor --json > doctor.json')).toEqual([
      'npx daraja-sdk doctor --json',
    ]);
  });
});
