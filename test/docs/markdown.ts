import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository's root. */
export const root = resolve(import.meta.dirname, '../..');

/** The markdown files whose code blocks are checked: README.md and every guide in docs/. */
export function guideFiles(): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
  const deploying = readdirSync(join(root, 'docs/deploying'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/deploying/${f}`);
  return ['README.md', ...docs, ...deploying];
}

/** A marker comment placed on the lines right above a fence: `<!-- name: value -->`. */
export interface Marker {
  name: string;
  value: string;
}

/** One fenced code block of a markdown file. */
export interface CodeBlock {
  /** The file, relative to the repository root (`docs/stores.md`). */
  file: string;
  /** The 1-based line of the opening fence. */
  line: number;
  /** The fence's language (`ts`, `sh`…), lowercased; empty for a bare fence. */
  lang: string;
  /** The block's text, without the fences. */
  code: string;
  /** The marker comments above the fence, nearest last. */
  markers: Marker[];
  /** `file:line`, for test names and messages. */
  id: string;
}

const FENCE = /^(`{3,}|~{3,})\s*([\w+-]*)/;

/**
 * Every fenced code block of a markdown file, with the marker comments (`<!-- name: value -->`) that sit
 * on the lines right above its fence (blank lines between are allowed).
 */
export function codeBlocks(file: string, text = readFileSync(join(root, file), 'utf8')): CodeBlock[] {
  const lines = text.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const fence = open[1]!;
    let end = i + 1;
    while (end < lines.length && !lines[end]!.startsWith(fence)) end++;
    blocks.push({
      file,
      line: i + 1,
      lang: open[2]!.toLowerCase(),
      code: lines.slice(i + 1, end).join('\n'),
      markers: markersAbove(lines, i),
      id: `${file}:${i + 1}`,
    });
    i = end;
  }
  return blocks;
}

function markersAbove(lines: string[], fenceIndex: number): Marker[] {
  const found: Marker[] = [];
  let j = fenceIndex - 1;
  for (;;) {
    while (j >= 0 && lines[j]!.trim() === '') j--;
    if (j < 0 || !lines[j]!.trimEnd().endsWith('-->')) break;
    let start = j;
    while (start >= 0 && !lines[start]!.includes('<!--')) start--;
    if (start < 0) break;
    const comment = lines
      .slice(start, j + 1)
      .join('\n')
      .trim();
    const m = /^<!--\s*([\w-]+)\s*:?([\s\S]*?)-->$/.exec(comment);
    if (m) found.unshift({ name: m[1]!, value: m[2]!.trim() });
    j = start - 1;
  }
  return found;
}

/** The value of a block's marker, or `undefined`. */
export function marker(block: CodeBlock, name: string): string | undefined {
  return block.markers.find((m) => m.name === name)?.value;
}

/** Every markdown link target `[text](target)` of a text (images included), outside code. */
export function markdownLinks(text: string): string[] {
  const prose = text.replace(/^(`{3,}|~{3,})[\s\S]*?^\1/gm, '').replace(/`[^`\n]*`/g, '');
  const links: string[] = [];
  for (const m of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push(m[1]!);
  for (const m of prose.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/gm)) links.push(m[1]!);
  for (const m of prose.matchAll(/<a\s[^>]*href="([^"]+)"/g)) links.push(m[1]!);
  return links;
}

/** `A=1 B=2 cmd …` → `cmd …`; a line of assignments alone (an env file) → ''. */
function stripAssignments(command: string): string {
  let rest = command.trim().replace(/^export\s+/, '');
  for (;;) {
    const m = /^[A-Z_][A-Z0-9_]*=("[^"]*"|'[^']*'|\$\([^)]*\)|[^\s]*)\s*/.exec(rest);
    if (!m) return rest;
    rest = rest.slice(m[0].length);
  }
}

/** The commands of a shell block: continuation lines joined, comments dropped, split on && ; & |. */
export function commandsOf(code: string): string[] {
  const joined = code.replace(/\\\n\s*/g, ' ');
  const commands: string[] = [];
  for (const line of joined.split('\n')) {
    const text = line.replace(/(^|\s)#.*$/, '').trim();
    if (!text) continue;
    for (const part of text.split(/\s*(?:&&|\|\||;|\||&(?!&))\s*/)) {
      const command = stripAssignments(part)
        .replace(/\s*>\s*\S+$/, '') // an output redirection
        .replace(/\s+/g, ' ')
        .trim();
      if (command) commands.push(command);
    }
  }
  return commands;
}

/** The anchors GitHub gives a markdown file's headings (lowercase, punctuation dropped, spaces to `-`). */
export function headingAnchors(text: string): Set<string> {
  const prose = text.replace(/^(`{3,}|~{3,})[\s\S]*?^\1/gm, '');
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const m of prose.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = m[1]!
      .replace(/<[^>]+>/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  for (const m of prose.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) anchors.add(m[1]!);
  return anchors;
}

/** This repository's files on GitHub: `https://github.com/daraja-sdk/daraja-sdk/blob/main/<path>`. */
export const REPO_FILE_URL =
  /^https:\/\/github\.com\/daraja-sdk\/daraja-sdk\/(?:blob|tree)\/main\/([^#?]+)(?:#(.*))?$/;
