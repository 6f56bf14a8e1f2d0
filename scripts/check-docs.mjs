// After `typedoc`: every guide in docs/ must be reachable from the site's navigation, listed in
// typedoc.json's projectDocuments, and linked from README.md by its absolute GitHub address (README.md is
// also the npm page, where a relative link leads nowhere; the site's plugin turns these links into links
// to its own pages). And no page of the site may link to a raw copy of a repository file in media/
// (`media/README.md`, `media/payouts.ts`): images are the only media the site serves.
//
// Usage: node scripts/check-docs.mjs [site directory, default docs-site]
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { inflateSync } from 'node:zlib';

const GUIDE_URL = 'https://github.com/daraja-sdk/daraja-sdk/blob/main/docs/';
const MEDIA_OK = /\.(svg|png|jpe?g|gif|webp|avif)$/i;
const site = process.argv[2] ?? 'docs-site';

/** The JSON TypeDoc stores base64-deflated in one of its assets/*.js files. */
function readSiteData(dir, file, variable) {
  const js = readFileSync(join(dir, 'assets', file), 'utf8');
  const data = new RegExp(`${variable} = "([^"]+)"`).exec(js)?.[1];
  if (!data) throw new Error(`${file}: no ${variable}`);
  return JSON.parse(inflateSync(Buffer.from(data, 'base64')).toString());
}

const problems = [];

const titles = new Set();
const walk = (nodes) => {
  for (const n of nodes) {
    if (n.path?.startsWith('documents/')) titles.add(n.text);
    if (n.children) walk(n.children);
  }
};
walk(readSiteData(site, 'navigation.js', 'navigationData'));

const listed = JSON.parse(readFileSync('typedoc.json', 'utf8')).projectDocuments;
const readme = readFileSync('README.md', 'utf8');
for (const file of readdirSync('docs').filter((f) => f.endsWith('.md'))) {
  const title = /^---\ntitle: (.+)\n---/.exec(readFileSync(`docs/${file}`, 'utf8'))?.[1];
  if (!title) problems.push(`docs/${file}: no "title:" front matter`);
  else if (!titles.has(title)) problems.push(`docs/${file} ("${title}") is not in the site's navigation`);
  if (!listed.includes(`docs/${file}`)) problems.push(`docs/${file} is not in typedoc.json projectDocuments`);
  if (!readme.includes(`](${GUIDE_URL}${file})`) && !readme.includes(`](${GUIDE_URL}${file}#`)) {
    problems.push(`docs/${file} is not linked from README.md as ${GUIDE_URL}${file}`);
  }
}

// README.md links: absolute (it is the npm page too), or an anchor of README.md itself.
for (const [, target] of readme.matchAll(/\]\(\s*<?([^)\s>]+)/g)) {
  if (!/^(https?:|mailto:|#)/.test(target)) {
    problems.push(
      `README.md links to "${target}": use ${GUIDE_URL.replace('docs/', '')}<path> (npm shows README.md)`,
    );
  }
}

const pages = [];
const collect = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) collect(path);
    else if (entry.name.endsWith('.html')) pages.push(path);
  }
};
collect(site);
for (const page of pages) {
  const html = readFileSync(page, 'utf8');
  for (const [, href] of html.matchAll(/(?:href|src)="([^"#?]*media\/[^"#?]+)/g)) {
    if (!MEDIA_OK.test(href)) {
      problems.push(`${relative(site, page)} links to ${href}: a raw copy of a repository file, not a page`);
    }
  }
}

if (problems.length > 0) {
  console.error(`Docs check failed:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(
  `Docs check: ${titles.size} guides, all in the navigation and linked from README.md; ` +
    `${pages.length} pages, none linking to a raw repository file.`,
);
