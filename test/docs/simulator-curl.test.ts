import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Daraja } from '../../src/index.js';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { codeBlocks, commandsOf, guideFiles } from './markdown.js';

// The `curl` commands of the guides (the simulator's control API, shown against `daraja-sim` on port
// 4010) run for real, in their order, against an in-process simulator: each must answer 2xx. The
// placeholders `ws_CO_…` and `AG_…` become the ids of a real pending STK push and initiator request.

interface Curl {
  source: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** Split a command line as a shell would, for the quoting guides use (single and double quotes). */
function words(command: string): string[] {
  return [...command.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

function parseCurl(command: string): Curl {
  const [, ...args] = words(command);
  const curl: Curl = { source: command, method: 'GET', path: '', headers: {} };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-X') curl.method = args[++i]!;
    else if (arg === '-H') {
      const [name, ...value] = args[++i]!.split(':');
      curl.headers[name!.trim()] = value.join(':').trim();
    } else if (arg === '-d') {
      curl.body = args[++i]!;
      if (curl.method === 'GET') curl.method = 'POST';
    } else if (arg.startsWith('http://127.0.0.1:4010/'))
      curl.path = arg.slice('http://127.0.0.1:4010'.length);
    else throw new Error(`unexpected curl argument ${arg} in: ${command}`);
  }
  return curl;
}

const curls = guideFiles()
  .flatMap((file) => codeBlocks(file).filter((b) => ['sh', 'bash'].includes(b.lang)))
  .flatMap((b) => commandsOf(b.code).filter((c) => c.startsWith('curl ')))
  .map(parseCurl);

let sim: Simulator;
let ids: { checkout: string; conversation: string };

beforeAll(async () => {
  sim = await createSimulator({ mode: 'manual', callbackDelayMs: 0 });
  const daraja = new Daraja({
    baseUrl: sim.url,
    consumerKey: sim.consumerKey,
    consumerSecret: sim.consumerSecret,
    shortcode: sim.shortcode,
    passkey: sim.passkey,
    callbackUrl: 'http://127.0.0.1:9/api/subscription/payment-callback',
    initiatorName: sim.initiatorName,
    initiatorPassword: sim.initiatorPassword,
    certificate: sim.certificate,
    initiatorShortcode: sim.initiatorShortcode,
    resultUrl: 'http://127.0.0.1:9/daraja/result',
    queueTimeoutUrl: 'http://127.0.0.1:9/daraja/timeout',
  });
  const push = await daraja.stk.push({ phoneNumber: '0712345678', amount: 10, accountReference: 'DOCS' });
  const balance = await daraja.account.balance();
  ids = { checkout: push.checkoutRequestId, conversation: balance.conversationId };
});

afterAll(async () => {
  await sim?.close();
});

describe('the simulator control commands shown in the guides', () => {
  it('finds them', () => {
    expect(curls.length).toBeGreaterThanOrEqual(10);
  });

  it('each answers 2xx, in the order shown', async () => {
    for (const curl of curls) {
      const path = curl.path.replace('ws_CO_…', ids.checkout).replace('AG_…', ids.conversation);
      const response = await fetch(`${sim.url}${path}`, {
        method: curl.method,
        headers: curl.headers,
        ...(curl.body === undefined ? {} : { body: curl.body }),
      });
      const text = await response.text();
      expect(response.status, `${curl.source}\n→ ${text}`).toBeGreaterThanOrEqual(200);
      expect(response.status, `${curl.source}\n→ ${text}`).toBeLessThan(300);
      expect(() => JSON.parse(text), curl.source).not.toThrow();
    }
  });
});
