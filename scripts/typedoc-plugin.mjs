// A local TypeDoc plugin (loaded by typedoc.json "plugin"), for two things TypeDoc cannot be told in
// its options:
//
// 1. The API index is grouped by purpose. Every top-level export of a module gets a category from the
//    source file that declares it (CATEGORIES below, first match wins), so no source file needs a
//    `@category` tag. A module whose exports would all land in one category is left flat. An export
//    from a file no rule matches fails the build (warnings are errors): add a rule.
// 2. Links in README.md and the guides go where a reader of the site expects. A link to a guide on
//    GitHub (`https://github.com/daraja-sdk/daraja-sdk/blob/main/docs/<guide>.md#anchor`, the form
//    README.md uses so that it works on npm too) opens the site's own page for that guide, with the
//    anchor translated from GitHub's slug to TypeDoc's. A relative link to any other repository file
//    (`../examples/operations/payouts.ts`) goes to that file on GitHub, instead of a raw copy of it in
//    media/. Images stay local: TypeDoc copies them next to the pages.
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Comment, CommentTag, Converter, ReflectionKind } from 'typedoc';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPOSITORY = 'https://github.com/daraja-sdk/daraja-sdk';
const BLOB = `${REPOSITORY}/blob/main/`;

/**
 * Category of a top-level export, by the path (relative to src/) of the file that declares it. First
 * match wins: a string matches that file or, ending in `/`, everything under that folder. The order of
 * the categories here is their order in a module's index.
 */
export const CATEGORIES = [
  // daraja-sdk
  [
    'Client',
    [
      'client.ts',
      'client-options.ts',
      'client-checks.ts',
      'client-env.ts',
      'core/auth/',
      'core/http/transport.ts',
      'core/http/request-options.ts',
      'core/response.ts',
      'core/http/hooks.ts',
      'core/logger.ts',
      'core/version.ts',
      'core/resource.ts',
    ],
  ],
  ['STK push', ['resources/stk/stk.ts', 'core/utils/password.ts']],
  ['Callbacks', ['inbound/stk-callback.ts', 'payments/security.ts', 'payments/probe.ts']],
  ['Payment flow', ['payments/flow/', 'payments/query-budget.ts', 'core/payment-status.ts']],
  ['Web handlers', ['payments/web.ts', 'inbound/web.ts', 'inbound/web-address.ts', 'inbound/web-request.ts']],
  ['Token caches', ['redis/']],
  [
    'Stores',
    [
      'payments/types.ts',
      'payments/settlement.ts',
      'payments/memory-store.ts',
      'payments/journal.ts',
      'postgres/',
      'mongodb/',
      'mysql/',
      'journal/',
    ],
  ],
  ['Payment flow', ['payments/']],
  ['Collections', ['resources/c2b/', 'resources/qr/']],
  ['B2B Express Checkout', ['resources/b2b-express/', 'inbound/b2b-express.ts']],
  ['Standing orders (M-Pesa Ratiba)', ['resources/ratiba/']],
  ['Bill Manager', ['resources/bill-manager/']],
  ['Payouts and account operations', ['resources/initiator/']],
  ['Result codes', ['resources/stk/result-codes.ts', 'inbound/result-codes.ts']],
  ['Errors', ['core/errors.ts', 'core/errors/', 'core/http/']],
  ['Utilities', ['core/utils/', 'core/limits.ts']],
  // daraja-sdk/results
  ['Result handler', ['inbound/result-handler.ts']],
  ['Results', ['inbound/result.ts', 'inbound/result-kinds.ts', 'inbound/result-values.ts']],
  ['C2B validation and confirmation', ['inbound/c2b-payload.ts', 'inbound/c2b-handler.ts']],
  ['Standing order results (M-Pesa Ratiba)', ['inbound/ratiba-result.ts']],
  ['Bill Manager payments', ['inbound/bill-payment.ts']],
  ['Answers to Daraja', ['inbound/ack.ts']],
  // daraja-sdk/simulator
  [
    'Simulator',
    [
      'simulator/simulator.ts',
      'simulator/simulator-api.ts',
      'simulator/options.ts',
      'simulator/server.ts',
      'simulator/config-error.ts',
      'simulator/log.ts',
      'simulator/engine.ts',
    ],
  ],
  ['Outcomes', ['simulator/outcomes.ts', 'simulator/result-outcomes.ts']],
  ['Quirks', ['simulator/quirks.ts', 'simulator/quirk-options.ts', 'simulator/quirk-answers.ts']],
  ['Recorded state', ['simulator/']],
  // daraja-sdk/testing
  ['Store conformance', ['testing/conformance.ts']],
  ['Payload builders', ['testing/builders.ts']],
  // daraja-sdk/messages
  ['Messages', ['messages/']],
];
/** Re-exports of a symbol documented in another module (`PaymentStore` in daraja-sdk/testing). */
export const REEXPORTS = 'Re-exports';
const ORDER = [...new Set(CATEGORIES.map(([name]) => name)), REEXPORTS];

/** The category for a file under src/ (a path relative to src/, with `/`), or undefined. */
export function categoryFor(srcPath) {
  for (const [name, rules] of CATEGORIES) {
    if (rules.some((rule) => (rule.endsWith('/') ? srcPath.startsWith(rule) : srcPath === rule))) return name;
  }
  return undefined;
}

/** GitHub's heading anchor (github-slugger), without the `-1` suffixes of repeated headings. */
export function githubSlug(text) {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** TypeDoc's heading anchor (its Slugger, lowercase), without the suffixes of repeated headings. */
export function typedocSlug(text) {
  const slug = text
    .trim()
    .replace(/[\u2000-\u206F\u2E00-\u2E7F\\'!"#$%&()*+,./:;<=>?@[\]^`{|}~]/g, '')
    .replace(/\s/g, '-')
    .replace(/--+/, '-');
  return (slug || '_').toLocaleLowerCase();
}

/**
 * The text of a Markdown heading as each slugger sees it: links and emphasis reduced to their text;
 * code spans kept by GitHub, dropped by TypeDoc (it slugs only the heading's text tokens).
 */
function headingTexts(source) {
  const prose = (text) =>
    text
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/<[^>]+>/g, '')
      .replace(/(^|[^\w])(\*\*|__|\*|_)(?=\S)(.+?)\2(?=[^\w]|$)/g, '$1$3');
  let github = '';
  let typedoc = '';
  source.split(/(`+[^`]*`+)/).forEach((segment, i) => {
    if (i % 2 === 1) github += segment.replace(/^`+|`+$/g, '');
    else {
      github += prose(segment);
      typedoc += prose(segment);
    }
  });
  return { github: github.trim(), typedoc };
}

/** GitHub anchor → TypeDoc anchor, for the headings of a Markdown text (fenced code skipped). */
export function anchorMap(markdown) {
  const map = new Map();
  let fence = null;
  for (const line of markdown.split('\n')) {
    const f = /^\s*(`{3,}|~{3,})/.exec(line);
    if (f) {
      if (fence === null) fence = f[1][0];
      else if (f[1][0] === fence) fence = null;
      continue;
    }
    if (fence !== null) continue;
    const h = /^#{1,6}\s+(.+?)(?:\s+#+)?\s*$/.exec(line);
    if (h) {
      const { github, typedoc } = headingTexts(h[1]);
      if (!map.has(githubSlug(github))) map.set(githubSlug(github), typedocSlug(typedoc));
    }
  }
  return map;
}

const IMAGE = /\.(svg|png|jpe?g|gif|webp|avif)$/i;
const GUIDE_ON_GITHUB = new RegExp(
  `(\\]\\(\\s*<?|href=["'])${BLOB.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(docs/(?:[\\w.-]+/)?[\\w.-]+\\.md)(?:#([\\w-]*))?`,
  'g',
);

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => rewriteLinks(context.project), 100);
  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => tagCategories(app, context), 100);
  // After TypeDoc's CategoryPlugin (-200) has built the categories: put them in CATEGORIES order.
  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => orderCategories(context.project), -300);
}

/** The file (relative to src/, `/`-separated) that declares a reflection, from its TypeScript symbol. */
function declaringFile(context, reflection) {
  const file =
    context.getSymbolFromReflection(reflection)?.declarations?.[0]?.getSourceFile().fileName ??
    context.project.getSymbolIdFromReflection(reflection)?.fileName;
  if (!file) return undefined;
  return relative(resolve(ROOT, 'src'), file).split(sep).join('/');
}

function tagCategories(app, context) {
  const project = context.project;
  for (const mod of project.getReflectionsByKind(ReflectionKind.Module)) {
    const children = mod.children ?? [];
    const assigned = new Map();
    for (const child of children) {
      if (child.isReference()) continue;
      const file = declaringFile(context, child);
      const category = file === undefined ? undefined : categoryFor(file);
      if (category === undefined) {
        app.logger.warn(
          `typedoc-plugin: ${mod.name}: no category for ${child.name} (declared in src/${file ?? '?'}); ` +
            'add a rule to CATEGORIES in scripts/typedoc-plugin.mjs',
        );
        continue;
      }
      assigned.set(child, category);
    }
    // One category for the whole module (daraja-sdk/postgres): a single folder would only add a level.
    if (new Set(assigned.values()).size < 2) continue;
    for (const child of children) {
      const category = child.isReference() ? REEXPORTS : assigned.get(child);
      if (category) addCategoryTag(child, category);
    }
  }
}

function addCategoryTag(reflection, category) {
  const tag = new CommentTag('@category', [{ kind: 'text', text: category }]);
  // Functions carry their comment on the signature; CategoryPlugin reads both.
  const comment = reflection.comment ?? reflection.signatures?.[0]?.comment;
  if (comment) comment.blockTags.push(tag);
  else reflection.comment = new Comment([], [tag]);
}

function orderCategories(project) {
  const rank = (title) => {
    const i = ORDER.indexOf(title);
    return i === -1 ? ORDER.length : i;
  };
  for (const mod of project.getReflectionsByKind(ReflectionKind.Module)) {
    mod.categories?.sort((a, b) => rank(a.title) - rank(b.title) || a.title.localeCompare(b.title));
  }
}

function rewriteLinks(project) {
  const files = project.files;
  const guides = new Map(); // absolute path of a guide → its DocumentReflection and TypeDoc's path for it
  for (const doc of project.getReflectionsByKind(ReflectionKind.Document)) {
    const path = files.getReflectionPath(doc);
    if (path) guides.set(resolve(path), { doc, path });
  }
  const anchors = new Map();
  const anchorFor = (doc, githubAnchor) => {
    if (!githubAnchor) return undefined;
    if (!anchors.has(doc)) anchors.set(doc, anchorMap(doc.content.map((part) => part.text).join('')));
    return anchors.get(doc).get(githubAnchor) ?? githubAnchor; // unknown: TypeDoc's check reports it
  };

  const rewrite = (parts) => {
    if (!parts?.length) return parts;
    const out = [];
    for (const part of parts) {
      if (part.kind === 'relative-link' && typeof part.target === 'number') {
        const target = files.resolve(part.target, project);
        if (typeof target === 'object' && target.isDocument() && part.targetAnchor) {
          // `stores.md#schema` between guides: GitHub's anchor, translated like the absolute links.
          out.push({ ...part, targetAnchor: anchorFor(target, part.targetAnchor) });
          continue;
        }
        if (typeof target === 'string' && !IMAGE.test(target)) {
          const path = relative(ROOT, target).split(sep).join('/');
          if (!path.startsWith('..')) {
            const anchor = part.targetAnchor ? `#${part.targetAnchor}` : '';
            out.push({ kind: 'text', text: `${BLOB}${path}${anchor}` });
            continue;
          }
        }
        out.push(part);
      } else if (part.kind === 'text' && part.text.includes(BLOB)) {
        let last = 0;
        for (const m of part.text.matchAll(GUIDE_ON_GITHUB)) {
          const guide = guides.get(resolve(ROOT, m[2]));
          if (!guide) continue; // not a guide of the site: stays on GitHub
          const start = m.index + m[1].length;
          out.push({ kind: 'text', text: part.text.slice(last, start) });
          out.push({
            kind: 'relative-link',
            text: part.text.slice(start, m.index + m[0].length),
            target: files.registerAbsolute(guide.path).target, // the guide's existing id
            targetAnchor: anchorFor(guide.doc, m[3]),
          });
          last = m.index + m[0].length;
        }
        out.push(last === 0 ? part : { kind: 'text', text: part.text.slice(last) });
      } else {
        out.push(part);
      }
    }
    return out;
  };
  const rewriteComment = (comment) => {
    if (!comment) return;
    comment.summary = rewrite(comment.summary);
    for (const tag of comment.blockTags) tag.content = rewrite(tag.content);
  };

  project.readme = rewrite(project.readme);
  for (const reflection of Object.values(project.reflections)) {
    rewriteComment(reflection.comment);
    if (reflection.isDocument()) reflection.content = rewrite(reflection.content);
    if (reflection.readme) reflection.readme = rewrite(reflection.readme);
  }
}
