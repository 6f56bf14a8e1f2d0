// After `typedoc`: every guide in docs/ must be reachable from the site's navigation, in typedoc.json's
// projectDocuments, and linked from README.md.
import { readdirSync, readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';

const nav = readFileSync('docs-site/assets/navigation.js', 'utf8');
const data = JSON.parse(
  inflateSync(Buffer.from(/navigationData = "([^"]+)"/.exec(nav)[1], 'base64')).toString(),
);
const titles = new Set();
const walk = (nodes) => {
  for (const n of nodes) {
    if (n.path?.startsWith('documents/')) titles.add(n.text);
    if (n.children) walk(n.children);
  }
};
walk(data);

const listed = JSON.parse(readFileSync('typedoc.json', 'utf8')).projectDocuments;
const readme = readFileSync('README.md', 'utf8');
const problems = [];
for (const file of readdirSync('docs').filter((f) => f.endsWith('.md'))) {
  const title = /^---\ntitle: (.+)\n---/.exec(readFileSync(`docs/${file}`, 'utf8'))?.[1];
  if (!title) problems.push(`docs/${file}: no "title:" front matter`);
  else if (!titles.has(title)) problems.push(`docs/${file} ("${title}") is not in the site's navigation`);
  if (!listed.includes(`docs/${file}`)) problems.push(`docs/${file} is not in typedoc.json projectDocuments`);
  if (!readme.includes(`(docs/${file})`)) problems.push(`docs/${file} is not linked from README.md`);
}
if (problems.length > 0) {
  console.error(`Docs check failed:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`Docs check: ${titles.size} guides, all in the navigation and linked from README.md.`);
