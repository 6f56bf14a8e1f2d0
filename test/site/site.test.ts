import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchChromium } from '../helpers/chromium.js';

// The docs site, built once with the repository's typedoc.json (into a temporary directory) and checked
// as a reader meets it: no TypeDoc warning, the API index grouped by purpose, guide text in the search,
// links from README.md to the site's own pages, the subscription-flow diagram aligned, and a local server
// that serves the site and nothing outside it.

const root = join(import.meta.dirname, '..', '..');
const TYPEDOC = join(root, 'node_modules', 'typedoc', 'bin', 'typedoc');
const hasTypedoc = existsSync(TYPEDOC);

interface NavNode {
  text: string;
  path?: string;
  kind?: number;
  children?: NavNode[];
}
interface SearchData {
  rows: { name: string; url: string; kind: number }[];
  index: { invertedIndex: [string, Record<string, Record<string, unknown>>][] };
}

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: { ...process.env, ...env, NO_COLOR: '1' },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d));
    child.stderr.on('data', (d: Buffer) => (output += d));
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** The JSON TypeDoc stores base64-deflated in assets/<file>. */
function siteData<T>(site: string, file: string, variable: string): T {
  const js = readFileSync(join(site, 'assets', file), 'utf8');
  const data = new RegExp(`${variable} = "([^"]+)"`).exec(js)?.[1];
  if (!data) throw new Error(`no ${variable} in ${file}`);
  return JSON.parse(inflateSync(Buffer.from(data, 'base64')).toString()) as T;
}

/** A raw GET: the path is sent as written (`fetch` would normalise `/../`). */
function get(url: string, path: string) {
  return new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const req = request({ hostname, port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** The first fenced block of a Markdown text: its info string and its lines. */
function firstFence(markdown: string) {
  const m = /^```(\S*)\n([\s\S]*?)\n```$/m.exec(markdown);
  if (!m) throw new Error('no fenced code block');
  return { lang: m[1], lines: m[2]!.split('\n') };
}

const unescapeHtml = (html: string) =>
  html
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

describe.skipIf(!hasTypedoc)(
  `the docs site${hasTypedoc ? '' : ' (SKIPPED: typedoc is not installed)'}`,
  () => {
    let site: string;
    let build: { code: number | null; output: string };
    let nav: NavNode[];
    let server: ChildProcess | undefined;
    let serverUrl: string;

    beforeAll(async () => {
      site = mkdtempSync(join(tmpdir(), 'daraja-docs-site-'));
      build = await run([TYPEDOC, '--out', site]);
      if (build.code !== 0) return;
      nav = siteData<NavNode[]>(site, 'navigation.js', 'navigationData');
      server = spawn(process.execPath, [join(root, 'scripts', 'serve-docs.mjs'), site], {
        cwd: root,
        env: { ...process.env, PORT: '0' },
      });
      serverUrl = await new Promise<string>((resolve, reject) => {
        let out = '';
        server?.stdout?.on('data', (d: Buffer) => {
          out += d;
          const url = /http:\/\/\S+\//.exec(out)?.[0];
          if (url) resolve(url);
        });
        server?.stderr?.on('data', (d: Buffer) => (out += d));
        server?.on('exit', (code) => reject(new Error(`serve-docs exited (${code}): ${out}`)));
      });
    }, 120_000);

    afterAll(() => {
      server?.kill();
      rmSync(site, { recursive: true, force: true });
    });

    const moduleNode = (name: string) => {
      const modules = nav.find((n) => n.text === 'Modules')?.children ?? [];
      const mod = modules.find((n) => n.text === name);
      if (!mod)
        throw new Error(`no module ${name} in the navigation: ${modules.map((m) => m.text).join(', ')}`);
      return mod;
    };
    const categories = (mod: NavNode) =>
      new Map((mod.children ?? []).map((c) => [c.text, (c.children ?? []).map((s) => s.text)] as const));

    it('builds with TypeDoc without a warning, and scripts/check-docs.mjs passes on it', async () => {
      expect(build.output).not.toMatch(/\[(warning|error)\]/);
      expect(build.code, build.output).toBe(0);
      const check = await run(['scripts/check-docs.mjs', site]);
      expect(check.code, check.output).toBe(0);
    });

    it('groups the API index by purpose, alphabetically within a kind', () => {
      const main = categories(moduleNode('daraja-sdk'));
      expect([...main.keys()]).toEqual([
        'Client',
        'STK push',
        'Callbacks',
        'Payment flow',
        'Web handlers',
        'Stores',
        'Collections',
        'B2B Express Checkout',
        'Standing orders (M-Pesa Ratiba)',
        'Bill Manager',
        'Payouts and account operations',
        'Result codes',
        'Errors',
        'Utilities',
      ]);
      const expected: Record<string, string[]> = {
        Client: ['Daraja', 'DarajaOptions', 'MemoryTokenCache', 'TokenCache', 'DEFAULT_TIMEOUT_MS'],
        'STK push': ['Stk', 'StkPushParams', 'StkQueryResponse', 'stkPassword'],
        Callbacks: ['parseStkCallback', 'StkCallbackResult', 'SAFARICOM_CALLBACK_IPS'],
        'Payment flow': ['createPaymentFlow', 'PaymentFlow', 'PaymentFlowOptions', 'ReconcileSummary'],
        'Web handlers': ['createWebCallbackHandler', 'createWebReconcileHandler', 'WebHandlerContext'],
        Stores: ['MemoryPaymentStore', 'PaymentStore', 'Payment', 'MemoryCallbackJournal'],
        Collections: ['C2b', 'Pull', 'Qr'],
        'B2B Express Checkout': ['B2bExpress', 'B2bExpressPushParams'],
        'Standing orders (M-Pesa Ratiba)': ['Ratiba', 'RATIBA_FREQUENCIES', 'RATIBA_TRANSACTION_TYPES'],
        'Bill Manager': ['BillManager'],
        'Payouts and account operations': ['B2c', 'B2b', 'Tax', 'Account', 'Reversal', 'Transactions'],
        'Result codes': ['describeStkResultCode', 'STK_RESULT_CODES', 'describeResultCode'],
        Errors: ['DarajaError', 'DarajaApiError', 'isDarajaError'],
        Utilities: ['normalizePhoneNumber', 'maskPhoneNumber', 'darajaTimestamp'],
      };
      for (const [category, symbols] of Object.entries(expected)) {
        expect(main.get(category), category).toEqual(expect.arrayContaining(symbols));
      }

      expect(categories(moduleNode('daraja-sdk/simulator'))).toEqual(
        new Map([
          ['Simulator', expect.arrayContaining(['createSimulator', 'Simulator', 'SimulatorOptions'])],
          ['Outcomes', expect.arrayContaining(['stkOutcomeForPhoneNumber', 'resultOutcomeFor'])],
          ['Quirks', expect.arrayContaining(['SimulatorQuirks', 'SIMULATOR_QUIRK_PRESETS'])],
          ['Recorded state', expect.arrayContaining(['SimulatedC2bPayment', 'SimulatedLedgerEntry'])],
        ]),
      );
      const results = categories(moduleNode('daraja-sdk/results'));
      expect(results.get('Result handler')).toContain('createResultHandler');
      expect(results.get('Results')).toContain('parseResult');
      expect(results.get('C2B validation and confirmation')).toContain('parseC2bPayload');
      expect(results.get('B2B Express Checkout')).toContain('parseB2bExpressResult');
      expect(results.get('Standing order results (M-Pesa Ratiba)')).toContain('parseRatibaResult');
      expect(results.get('Bill Manager payments')).toContain('createBillPaymentHandler');
      const testing = categories(moduleNode('daraja-sdk/testing'));
      expect(testing.get('Store conformance')).toContain('describePaymentStoreConformance');
      expect(testing.get('Payload builders')).toContain('buildStkCallback');
      expect(testing.get('Re-exports')).toEqual(['PaymentStore']);
      // A module with one purpose stays flat (TypeDoc's kind groups), rather than one folder deep.
      expect([...categories(moduleNode('daraja-sdk/postgres')).keys()]).toContain('Classes');

      // Everything is in a named category (an unmapped source file fails the build), and within a category
      // the symbols of one kind are together and in alphabetical order.
      const nodes = (n: NavNode): NavNode[] => [n, ...(n.children ?? []).flatMap(nodes)];
      expect(nav.flatMap(nodes).filter((n) => n.text === 'Other')).toEqual([]);
      for (const mod of ['daraja-sdk', 'daraja-sdk/simulator', 'daraja-sdk/results']) {
        for (const category of moduleNode(mod).children ?? []) {
          const members = category.children ?? [];
          const kinds = members.map((m) => m.kind);
          expect(kinds.filter((k, i) => i > 0 && k !== kinds[i - 1]).length, category.text).toBe(
            new Set(kinds).size - 1,
          );
          for (let i = 1; i < members.length; i++) {
            if (members[i]!.kind === members[i - 1]!.kind) {
              expect(
                members[i - 1]!.text.localeCompare(members[i]!.text),
                `${category.text}: ${members[i]!.text}`,
              ).toBe(-1);
            }
          }
        }
      }
    });

    it('indexes guide text: "1037" finds the Troubleshooting page', () => {
      const data = siteData<SearchData>(site, 'search.js', 'searchData');
      const troubleshooting = data.rows.findIndex((r) => r.url === 'documents/Troubleshooting.html');
      expect(troubleshooting).toBeGreaterThanOrEqual(0);
      const entry = data.index.invertedIndex.find(([token]) => token === '1037')?.[1];
      expect(Object.keys(entry?.['document'] ?? {})).toContain(String(troubleshooting));
    });

    it('links README.md guides to the site’s pages, repository files to GitHub, and nothing to media/', () => {
      const index = readFileSync(join(site, 'index.html'), 'utf8');
      const hrefs = [...index.matchAll(/href="([^"]+)"/g)].map((m) => m[1]);
      expect(hrefs).toContain('documents/Getting_started.html');
      expect(hrefs).toContain('documents/Troubleshooting.html');
      expect(hrefs).not.toContainEqual(
        expect.stringMatching(/github\.com\/daraja-sdk\/daraja-sdk\/blob\/main\/docs\//),
      );
      expect(hrefs).toContain('https://github.com/daraja-sdk/daraja-sdk/blob/main/examples/README.md');
      const payouts = readFileSync(join(site, 'documents', 'Payouts.html'), 'utf8');
      expect(payouts).toContain(
        'href="https://github.com/daraja-sdk/daraja-sdk/blob/main/examples/operations/payouts.ts"',
      );

      const pages = readdirSync(site, { recursive: true, encoding: 'utf8' }).filter((f) =>
        f.endsWith('.html'),
      );
      const raw = pages.filter((p) =>
        /(href|src)="[^"]*media\/[^"]*\.(md|ts)"/.test(readFileSync(join(site, p), 'utf8')),
      );
      expect(raw).toEqual([]);
      expect(existsSync(join(site, 'media', 'README.md'))).toBe(false);
    });

    it('draws the subscription flow in plain ASCII, narrow, true to the example, and keeps it in the site', () => {
      const markdown = readFileSync(join(root, 'docs', 'subscription-flow.md'), 'utf8');
      const { lang, lines } = firstFence(markdown);
      expect(lang).toBe('text'); // not highlighted as TypeScript
      for (const line of lines) {
        expect(line, 'printable ASCII only: box-drawing characters misalign in fallback fonts').toMatch(
          /^[\x20-\x7e]*$/,
        );
        expect(line.length, line).toBeLessThanOrEqual(76);
      }
      // The four lifelines stay straight: every row of the sequence has its bars in the same four columns.
      const bars = (line: string) => [...line].flatMap((c, i) => (c === '|' ? [i] : []));
      const lanes = bars(lines[1]!);
      expect(lanes).toHaveLength(4);
      const sequence = lines.slice(1, lines.indexOf(''));
      for (const line of sequence) {
        for (const bar of bars(line)) expect(lanes, line).toContain(bar);
      }

      // The routes and timings of examples/.
      const service = readFileSync(join(root, 'examples', 'shared', 'service.ts'), 'utf8');
      const callbackPath = /export const CALLBACK_PATH = '([^']+)'/.exec(service)?.[1];
      const config = readFileSync(join(root, 'examples', 'shared', 'config.ts'), 'utf8');
      const reconcileMs = /RECONCILE_INTERVAL_MS'\], ([\d_]+)/.exec(config)?.[1]?.replace(/_/g, '');
      const page = readFileSync(join(root, 'examples', 'shared', 'page.html'), 'utf8');
      const pollMs = /POLL_MS = ([\d_]+)/.exec(page)?.[1]?.replace(/_/g, '');
      const text = lines.join('\n');
      expect(text).toContain('POST /api/subscription/initiate-mpesa');
      expect(callbackPath).toBeDefined();
      expect(text).toContain(`POST ${callbackPath}`);
      expect(text).toContain('GET  /api/subscription/check-payment');
      for (const call of [
        'flow.initiate',
        'flow.handleCallback',
        'flow.checkStatus',
        'flow.reconcile',
        'STK push',
      ]) {
        expect(text).toContain(call);
      }
      expect(text).toContain(`every ${Number(reconcileMs) / 1000} s`);
      expect(text).toContain(`every ${Number(pollMs) / 1000} s`);

      // In the site: the same text, unwrapped (the site's CSS makes code blocks scroll, not wrap).
      const html = readFileSync(join(site, 'documents', 'The_subscription_flow.html'), 'utf8');
      const pre = /<pre><code class="text">([\s\S]*?)<\/code>/.exec(html)?.[1];
      expect(unescapeHtml(pre ?? '')).toBe(`${text}\n`);
      expect(html).toContain('assets/custom.css');
      expect(readFileSync(join(site, 'assets', 'custom.css'), 'utf8')).toMatch(/white-space:\s*pre;/);
    });

    it('serves the site locally (scripts/serve-docs.mjs), and nothing outside it', async () => {
      const index = await get(serverUrl, '/index.html');
      expect(index.status).toBe(200);
      expect(index.type).toBe('text/html; charset=utf-8');
      expect(index.body).toContain('<title>daraja-sdk</title>');
      expect((await get(serverUrl, '/')).body).toBe(index.body);
      expect((await get(serverUrl, '/assets/search.js')).type).toBe('text/javascript; charset=utf-8');
      expect((await get(serverUrl, '/assets/custom.css')).type).toBe('text/css; charset=utf-8');
      expect((await get(serverUrl, '/no-such-page.html')).status).toBe(404);
      for (const path of [
        '/../package.json',
        '/..%2fpackage.json',
        '/%2e%2e/%2e%2e/package.json',
        '/assets/../../package.json',
      ]) {
        const answer = await get(serverUrl, path);
        expect(answer.status, path).toBeGreaterThanOrEqual(400);
        expect(answer.body, path).not.toContain('"name": "daraja-sdk"');
      }
    });

    describe.skipIf(!hasChromium)('in Chromium', () => {
      let browser: import('playwright-core').Browser;
      beforeAll(async () => {
        browser = await launchChromium();
      }, 60_000);
      afterAll(async () => {
        await browser?.close();
      });

      it('finds the Troubleshooting page when a reader searches for 1037', async () => {
        const page = await browser.newPage();
        await page.goto(`${serverUrl}index.html`);
        await page.locator('#tsd-search-trigger').click();
        await page.keyboard.type('1037');
        const results = page.locator('#tsd-search-results li a');
        await expect.poll(() => results.count(), { timeout: 10_000 }).toBeGreaterThan(0);
        const hrefs = await results.evaluateAll((links) => links.map((a) => a.getAttribute('href')));
        expect(hrefs).toContain('./documents/Troubleshooting.html');
        await page.close();
      });

      it('keeps the diagram aligned on a phone: its block scrolls, no line wraps, the page is no wider', async () => {
        const page = await browser.newPage({ viewport: { width: 400, height: 800 } });
        await page.goto(`${serverUrl}documents/The_subscription_flow.html`);
        const code = page.locator('pre > code.text').first();
        await code.waitFor();
        const m = await code.evaluate((el) => {
          const pre = el.parentElement!;
          return {
            lines: el.textContent!.replace(/\n$/, '').split('\n').length,
            // One box per rendered line: a wrapped line would add one.
            renderedLines: el.getClientRects().length,
            scrolls: pre.scrollWidth > pre.clientWidth,
          };
        });
        expect(m.renderedLines).toBe(m.lines);
        expect(m.scrolls).toBe(true);
        expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(400);
        await page.close();
      });
    });
  },
);
