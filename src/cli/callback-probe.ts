import { randomBytes } from 'node:crypto';
import { VERSION } from '../core/version.js';
import {
  CALLBACK_PROBE_PARAM,
  type CallbackProbeProblem,
  type CallbackProbeReport,
  callbackProbeBody,
} from '../payments/probe.js';
import { describeError, type ErrorReport } from './context.js';
import type { CheckReport } from './doctor-report.js';
import { showUrl } from './url-check.js';

/** @internal How long `daraja doctor --callback-url` waits for the app's answer to the probe, in ms. */
export const CALLBACK_PROBE_TIMEOUT_MS = 10_000;

/** @internal What the callback probe found, in `daraja doctor --json` as `callbackProbe`. */
export interface CallbackProbeResult {
  /** The callback URL probed, query values hidden. */
  url: string;
  /**
   * `through-flow`: a payment flow answered with its probe report; `not-through-flow`: a 2xx answer
   * without one; `http-error`: a non-2xx answer; `unreachable`: no answer (refused, DNS, TLS, timeout).
   */
  outcome: 'through-flow' | 'not-through-flow' | 'http-error' | 'unreachable';
  /** The HTTP status of the answer, when there was one. */
  httpStatus?: number;
  /** What the payment flow saw, when it answered (without the nonce). */
  probe?: Omit<CallbackProbeReport, 'nonce'>;
  /** The error, when nothing answered. */
  error?: ErrorReport;
  /** Milliseconds until the answer (or the give-up). */
  durationMs: number;
}

/** A fresh nonce of letters only: no digit run in it can look like a phone number in a log. */
function newNonce(): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  return Array.from(randomBytes(24), (b) => letters[b % letters.length]).join('');
}

/**
 * @internal
 * The URL with the probe parameter appended, whether or not it has a query string already. The rest of
 * the URL is kept as written (no re-encoding of the app's own parameters); a fragment is dropped, since
 * it never reaches the server.
 */
export function probeUrl(url: string, nonce: string): string {
  const hash = url.indexOf('#');
  const base = hash >= 0 ? url.slice(0, hash) : url;
  const separator = !base.includes('?') ? '?' : /[?&]$/.test(base) ? '' : '&';
  return `${base}${separator}${CALLBACK_PROBE_PARAM}=${nonce}`;
}

const FLOW_ACK =
  'answer the callback with what handleCallback returns: res.status(ack.status).json(ack.body) (Express), reply.code(ack.status).send(ack.body) (Fastify)';

/** Why a request found no route, or what to do about the status it got. */
function fixForStatus(status: number, location: string | undefined): string {
  if (status >= 300 && status < 400) {
    return `Use the final URL${location ? ` (${location})` : ''} as the callback URL: do not count on a redirect being followed with the POST and its body. http:// to https:// and a missing or extra trailing slash are the usual causes.`;
  }
  if (status === 404)
    return 'No route answers POST at this path. Check the path against the app: the prefix the router is mounted under (e.g. /api), the spelling, a trailing slash.';
  if (status === 405)
    return 'The path exists but not for POST: Daraja POSTs callbacks. Register the route with app.post(...).';
  if (status === 401 || status === 403)
    return 'The route, or something in front of it (auth middleware, a firewall, a WAF, a tunnel with a login page), refuses the request. Daraja sends no credentials: keep the callback route public. The payment flow authenticates callbacks by the per-payment token in their URL and the source-address allow-list.';
  if (status === 413)
    return "The request body is too large for the route's body parser or a proxy: raise the limit (callbacks are a few KB).";
  if (status === 415 || status === 400)
    return 'The route rejects a JSON POST before the payment flow sees it: accept Content-Type application/json (express.json(), or Fastify’s default JSON parser) and pass the body to flow.handleCallback.';
  if (status === 502 || status === 503 || status === 504)
    return `A proxy or tunnel answered ${status}: the app behind it is down, or not where the proxy sends requests. Start the app, and check the proxy's or tunnel's target port.`;
  if (status >= 500)
    return `The route fails: look in the app's log for an error at this time. flow.handleCallback never throws, so a ${status} comes from code around it (or before it: a body parser, a middleware).`;
  return `Unexpected HTTP ${status}: the callback route must answer 200. Check what is mounted at this path.`;
}

/** Why the probe got no answer, and the fix. */
function unreachable(report: ErrorReport, timeoutMs: number): { message: string; fix: string } {
  const running =
    'Is the app running and listening on that host and port? If the URL goes through a tunnel or a proxy, is it up and pointing at the app?';
  if (report.class === 'TimeoutError' || report.class === 'AbortError')
    return {
      message: `no answer within ${timeoutMs / 1000} s`,
      fix: `${running} Daraja does not wait long either: the route must answer within a few seconds (the payment flow acknowledges at once, before onCompleted runs).`,
    };
  switch (report.code) {
    case 'ECONNREFUSED':
      return { message: 'connection refused: nothing listens at this host and port', fix: running };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return {
        message: 'the host name does not resolve',
        fix: 'Fix the host name. With a tunnel, its address changes when it restarts: copy the current one.',
      };
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return { message: 'the connection was closed without an answer', fix: running };
    default:
      if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(`${report.code ?? ''} ${report.message}`))
        return {
          message: `the TLS certificate was not accepted (${report.code ?? report.message})`,
          fix: 'Serve the callback URL with a certificate from a public authority (e.g. Let’s Encrypt), for this host name, with its full chain.',
        };
      return {
        message: `the request failed: ${report.code ?? report.message}`,
        fix: running,
      };
  }
}

/** What the probe found: the check (without its name and duration) and the result (without url and duration). */
type Finding = [Omit<CheckReport, 'name' | 'durationMs'>, Omit<CallbackProbeResult, 'url' | 'durationMs'>];

/** The finding for a non-2xx answer: a redirect, a missing route, a refusal or a failure. */
function httpErrorFinding(
  response: Response,
  url: string,
  scrub: (text: string) => string,
  shown: string,
): Finding {
  const status = response.status;
  const location = response.headers.get('location');
  let shownLocation: string | undefined;
  try {
    shownLocation = location ? showUrl(scrub(new URL(location, url).href)) : undefined;
  } catch {
    shownLocation = undefined;
  }
  const kind =
    status >= 300 && status < 400
      ? `a redirect${shownLocation ? ` to ${shownLocation}` : ''}`
      : status === 404
        ? 'the route is missing'
        : status >= 500
          ? 'the route is failing'
          : 'the route refuses the callback';
  return [
    {
      status: 'failed',
      message: `${shown} answered HTTP ${status} (${kind})`,
      fix: fixForStatus(status, shownLocation),
    },
    { outcome: 'http-error', httpStatus: status },
  ];
}

/** The finding for a 2xx answer: the payment flow's probe report in it, or none. */
function answerFinding(text: string, nonce: string, status: number, shown: string): Finding {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const probe = (body as { probe?: unknown } | undefined)?.probe as CallbackProbeReport | undefined;
  if (typeof probe !== 'object' || probe === null || probe.nonce !== nonce) {
    const otherNonce = typeof probe === 'object' && probe !== null;
    return [
      {
        status: 'warning',
        message: `${shown} answers HTTP ${status}, but not through createPaymentFlow().handleCallback: ${otherNonce ? "the probe report in the answer is another probe's (a cache in front of the app?)" : 'the answer has no probe report'}`,
        details: [
          'one of: the route does not call flow.handleCallback; it does, but answers with a body of its own instead of the acknowledgement the flow returns; or the app runs a daraja-sdk older than the probe.',
          'If the route handles callbacks without createPaymentFlow (parseStkCallback on its own, say), this is expected: doctor cannot check it further.',
        ],
        fix: `Route the callback through createPaymentFlow(...).handleCallback and ${FLOW_ACK}; update daraja-sdk in the app to ${VERSION} or later.`,
      },
      { outcome: 'not-through-flow', httpStatus: status },
    ];
  }
  const { nonce: _nonce, ...seen } = probe;
  const problems: CallbackProbeProblem[] = Array.isArray(probe.problems) ? probe.problems : [];
  const summary = [
    `body ${probe.body}`,
    probe.clientAddress
      ? `client address ${probe.clientAddress}`
      : `no client address${probe.remoteAddress === 'missing' ? ' (remoteAddress not passed)' : ''}`,
    `allow-list ${probe.allowedIps === 'off' ? 'off' : probe.allowedIps === 'allowed' ? 'on (this address passes)' : 'on (this address is rejected)'}`,
  ].join(', ');
  const details = [
    `the app runs daraja-sdk ${probe.sdkVersion}${probe.sdkVersion !== VERSION ? ` (this doctor is ${VERSION})` : ''}`,
  ];
  const result = { outcome: 'through-flow', httpStatus: status, probe: seen } as const;
  if (probe.verdict === 'ok' && problems.length === 0) {
    return [
      { status: 'ok', message: `${shown}: the payment flow took the probe (${summary})`, details },
      result,
    ];
  }
  return [
    {
      status: 'failed',
      message: `${shown}: the payment flow answered, but would reject Daraja's callbacks (${problems.map((p) => p.reason).join(', ') || probe.verdict}; ${summary})`,
      details,
      fix:
        problems.length > 0
          ? problems.map((p) => `${p.reason}: ${p.fix}`).join('\n')
          : 'Update daraja-sdk in the app.',
    },
    result,
  ];
}

/**
 * @internal
 * Send the app's callback route a probe (see `daraja-sdk`'s payments/probe.ts) and say what its payment
 * flow did with it. Never throws.
 */
export async function probeCallbackUrl(
  url: string,
  options: { fetch?: typeof globalThis.fetch; timeoutMs?: number } = {},
): Promise<{ check: CheckReport; result: CallbackProbeResult }> {
  const timeoutMs = options.timeoutMs ?? CALLBACK_PROBE_TIMEOUT_MS;
  const nonce = newNonce();
  const target = probeUrl(url, nonce);
  const shown = showUrl(url);
  const scrub = (text: string) => text.split(target).join(shown).split(nonce).join('***');
  const started = Date.now();
  const done = ([check, result]: Finding) => {
    const durationMs = Date.now() - started;
    return {
      check: { name: 'callback-probe', ...check, durationMs },
      result: { url: shown, ...result, durationMs },
    };
  };

  let response: Response;
  let text: string;
  try {
    response = await (options.fetch ?? globalThis.fetch)(target, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'user-agent': `daraja-sdk-doctor/${VERSION}`,
      },
      body: JSON.stringify(callbackProbeBody()),
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await response.text();
  } catch (error) {
    const report = describeError(error, scrub);
    const why = unreachable(report, timeoutMs);
    return done([
      {
        status: 'failed',
        message: `${shown} does not reach the app: ${why.message}`,
        fix: why.fix,
        error: report,
      },
      { outcome: 'unreachable', error: report },
    ]);
  }
  if (response.status < 200 || response.status >= 300) {
    return done(httpErrorFinding(response, url, scrub, shown));
  }
  return done(answerFinding(text, nonce, response.status, shown));
}
