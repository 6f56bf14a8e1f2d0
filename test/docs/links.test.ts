import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { guideFiles, headingAnchors, markdownLinks, REPO_FILE_URL, root } from './markdown.js';

// Links of README.md, SECURITY.md, CONTRIBUTING.md, ARCHITECTURE.md and docs/*.md that point into this
// repository lead somewhere: the file exists and the #anchor is one of its headings. README.md (the npm
// page, where the repository's other files are absent) links only absolutely; test/package/pack.test.ts
// checks that on the packed README too.

const files = [...guideFiles(), 'SECURITY.md', 'CONTRIBUTING.md', 'ARCHITECTURE.md'].filter((f) =>
  existsSync(join(root, f)),
);
const anchorsOf = new Map<string, Set<string>>();
const anchors = (path: string) => {
  if (!anchorsOf.has(path)) anchorsOf.set(path, headingAnchors(readFileSync(join(root, path), 'utf8')));
  return anchorsOf.get(path)!;
};

/** What a link points to in this repository, or `undefined` for an external link. */
function target(from: string, link: string): { path: string; anchor?: string } | undefined {
  const repo = REPO_FILE_URL.exec(link);
  if (repo)
    return { path: decodeURIComponent(repo[1]!).replace(/\/$/, ''), ...(repo[2] ? { anchor: repo[2] } : {}) };
  if (/^[a-z][a-z0-9+.-]*:/i.test(link)) return undefined; // https:, mailto:…
  const [file, anchor] = link.split('#') as [string, string | undefined];
  const path = file === '' ? from : normalize(join(dirname(from), decodeURIComponent(file)));
  return { path, ...(anchor ? { anchor } : {}) };
}

describe('links in the README, SECURITY.md, CONTRIBUTING.md, ARCHITECTURE.md and the guides', () => {
  it.each(files)('%s: every link into this repository exists, anchors included', (file) => {
    const broken: string[] = [];
    for (const link of markdownLinks(readFileSync(join(root, file), 'utf8'))) {
      const t = target(file, link);
      if (!t) continue;
      if (!existsSync(join(root, t.path))) broken.push(`${link}: no ${t.path}`);
      else if (t.anchor && t.path.endsWith('.md') && !anchors(t.path).has(t.anchor))
        broken.push(`${link}: no heading #${t.anchor} in ${t.path}`);
    }
    expect(broken).toEqual([]);
  });

  it('README.md links only absolutely (it is the npm page), to this repository on main', () => {
    const relative = markdownLinks(readFileSync(join(root, 'README.md'), 'utf8')).filter(
      (l) => !/^(https?:\/\/|#)/.test(l),
    );
    expect(relative).toEqual([]);
  });
});
