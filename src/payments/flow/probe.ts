import { utf8Text } from '../../core/utils/bytes.js';
import { addressScope, describeScope } from '../../core/utils/ip.js';
import { VERSION } from '../../core/version.js';
import { parseStkCallback } from '../../inbound/stk-callback.js';
import type { CallbackProbeProblem, CallbackProbeReport } from '../probe.js';
import { ipMatches } from '../security.js';
import { answer } from './answer.js';
import type { FlowContext } from './context.js';
import { CALLBACK_ACK, type CallbackRequest, type CallbackResponse } from './types.js';
import { ADDRESS_FIX, BODY_FIX } from './warnings.js';

/** A Node stream, a web `ReadableStream` or an async iterable: a body nobody read. */
function isStream(value: object): boolean {
  const v = value as Record<string | symbol, unknown>;
  return (
    typeof v['pipe'] === 'function' ||
    typeof v['getReader'] === 'function' ||
    typeof v[Symbol.asyncIterator] === 'function'
  );
}

/**
 * How the body reached the flow: `parsed` (a JSON object), `missing` (nothing: `undefined`, `null`, empty
 * text or bytes, `{}`) or `unparsed` (text, bytes or an unread stream).
 */
function bodyState(body: unknown): CallbackProbeReport['body'] {
  if (body === undefined || body === null) return 'missing';
  if (typeof body === 'string') return body.trim() === '' ? 'missing' : 'unparsed';
  if (body instanceof Uint8Array) return body.byteLength === 0 ? 'missing' : 'unparsed';
  if (typeof body !== 'object') return 'unparsed';
  if (isStream(body)) return 'unparsed';
  if (!Array.isArray(body) && Object.keys(body).length === 0) return 'missing';
  return 'parsed';
}

/**
 * Why the flow cannot read this body at all (the route has no JSON body parser), or `undefined` when it
 * can: a parsed object, or raw text or bytes holding a JSON object.
 */
export function unreadableBody(body: unknown): 'missing' | 'stream' | 'not_json' | undefined {
  const state = bodyState(body);
  if (state === 'missing') return 'missing';
  if (state === 'parsed') return undefined;
  if (typeof body === 'string') return body.trimStart().startsWith('{') ? undefined : 'not_json';
  if (body instanceof Uint8Array) {
    const text = utf8Text(body.subarray(0, 64));
    return text.trimStart().startsWith('{') ? undefined : 'not_json';
  }
  return typeof body === 'object' ? 'stream' : 'not_json';
}

/**
 * Answer a probe (see {@link PaymentFlow.handleCallback}): what the flow sees of the request and what
 * would make a real callback sent the same way fail. No I/O, no state.
 */
export function probe(
  ctx: FlowContext,
  req: CallbackRequest,
  address: string | null,
  nonce: string,
): CallbackResponse {
  const problems: CallbackProbeProblem[] = [];
  const body = bodyState(req.body);
  let readable = false;
  try {
    parseStkCallback(req.body);
    readable = true;
  } catch {
    readable = false;
  }
  if (!readable) {
    const kind = unreadableBody(req.body);
    problems.push({
      reason: 'invalid_body',
      fix:
        kind === 'missing'
          ? `No body reached handleCallback: ${BODY_FIX}`
          : kind === 'stream'
            ? `The body reached handleCallback unread (a stream): ${BODY_FIX}`
            : 'The body reached handleCallback but not as the JSON that was sent (a form or text parser?): ' +
              'parse the callback route as JSON (Express: express.json()) and pass req.body.',
    });
  }
  const allowList = ctx.allowedIps;
  const hasAddress = typeof req.remoteAddress === 'string' && req.remoteAddress.trim() !== '';
  if (allowList !== false && !hasAddress)
    problems.push({
      reason: 'ip_unknown',
      fix: `handleCallback got no remoteAddress, so allowedIps would reject every callback: ${ADDRESS_FIX}`,
    });
  const allowed = allowList !== false && address !== null && ipMatches(allowList, address);
  const scope = address === null ? undefined : addressScope(address);
  if (allowList !== false && address !== null && !allowed && scope !== undefined && scope !== 'public')
    problems.push({
      reason: 'ip_not_allowed',
      fix:
        `The flow sees callbacks coming from ${address}, ${describeScope(scope)}: the app is behind a proxy ` +
        'or tunnel, so every callback from Safaricom would be rejected (ip_not_allowed). List the proxy in ' +
        'trustedProxies so the client address is read from X-Forwarded-For, or adjust allowedIps.',
    });
  const report: CallbackProbeReport = {
    nonce: nonce.slice(0, 128).replace(/[^A-Za-z0-9._~-]/g, ''),
    sdkVersion: VERSION,
    body,
    remoteAddress: hasAddress ? 'present' : 'missing',
    ...(address !== null ? { clientAddress: address } : {}),
    allowedIps: allowList === false ? 'off' : allowed ? 'allowed' : 'rejected',
    verdict: problems.length === 0 ? 'ok' : 'misconfigured',
    problems,
  };
  ctx.log.info('callback probe answered', {
    verdict: report.verdict,
    problems: problems.map((p) => p.reason),
  });
  return {
    ...answer(200, 'probe', null, null, Promise.resolve()),
    body: Object.freeze({ ...CALLBACK_ACK, probe: report }),
    probe: report,
  };
}
