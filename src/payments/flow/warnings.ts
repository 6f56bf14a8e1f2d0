import { addressScope, describeScope } from '../../core/utils/ip.js';
import { maskPhoneNumbersInText } from '../../core/utils/mask.js';
import { ipMatches } from '../security.js';
import type { FlowContext, Misconfiguration } from './context.js';

export const BODY_FIX =
  'add a JSON body parser to the callback route (Express: app.post(path, express.json(), handler); Fastify ' +
  'parses JSON by default) and pass req.body, or pass the raw body text.';
export const ADDRESS_FIX =
  'pass remoteAddress: req.socket.remoteAddress (Express) or request.socket.remoteAddress / request.ip ' +
  '(Fastify) to handleCallback, or turn the check off with allowedIps: false.';

/** Rejections by `allowedIps`, with none accepted, before the flow warns of a proxy or tunnel. */
const ALLOWED_IPS_WARN_AFTER = 3;

/** Say once, even with no logger (to `console.warn`), what makes callbacks fail; `logger: null` mutes it. */
export function warnOnce(
  ctx: FlowContext,
  kind: Misconfiguration,
  message: string,
  fields: Record<string, unknown> = {},
): void {
  if (ctx.warned.has(kind)) return;
  ctx.warned.add(kind);
  if (ctx.o.logger === null) return;
  if (ctx.o.logger !== undefined) {
    ctx.log.warn(`payment flow misconfigured: ${message}`, { misconfiguration: kind, ...fields });
    return;
  }
  try {
    console.warn(`[daraja] payment flow misconfigured: ${maskPhoneNumbersInText(message)}`);
  } catch {
    // A broken console must never break a callback.
  }
}

export function warnBody(ctx: FlowContext, kind: 'missing' | 'stream' | 'not_json'): void {
  const what =
    kind === 'missing'
      ? 'with no body'
      : kind === 'stream'
        ? 'with an unread body (a stream)'
        : 'with a body that is not JSON (a form or text parser?)';
  warnOnce(
    ctx,
    'body',
    `callbacks reach handleCallback ${what}, so every one is rejected as invalid and payments settle ` +
      `only by status queries, without receipts. Fix: ${BODY_FIX}`,
  );
}

export function warnSchema(ctx: FlowContext): void {
  warnOnce(
    ctx,
    'schema',
    "the store's tables are missing or older than this version of daraja-sdk: call await store.migrate() " +
      'once at start-up (or run npx daraja-sdk migrate). Callbacks wait in the journal until then.',
  );
}

/**
 * Watch the allow-list: if callbacks keep being rejected by it and none ever passed, the app is probably
 * behind a proxy or tunnel whose address is not Safaricom's. A route that accepted one never warns.
 */
export function noteAllowList(ctx: FlowContext, address: string | null, rejectedByAllowList: boolean): void {
  const list = ctx.allowedIps;
  if (list === false || ctx.allowListPassed || ctx.warned.has('allowed_ips')) return;
  if (address !== null && ipMatches(list, address)) {
    ctx.allowListPassed = true;
    return;
  }
  if (!rejectedByAllowList) return;
  ctx.ipRejections += 1;
  if (ctx.ipRejections < ALLOWED_IPS_WARN_AFTER) return;
  const scope = address === null ? undefined : addressScope(address);
  const seen =
    scope !== undefined && scope !== 'public'
      ? `${address}, ${describeScope(scope)}, which is a proxy or tunnel, not Safaricom`
      : `${address}`;
  warnOnce(
    ctx,
    'allowed_ips',
    `${ctx.ipRejections} callbacks were rejected by allowedIps (ip_not_allowed) and none passed it; the ` +
      `last came from ${seen}. The app is probably behind a proxy, load balancer or tunnel whose address ` +
      "is not Safaricom's: list it in trustedProxies (its X-Forwarded-For is then read), or set allowedIps " +
      'to the addresses your callbacks really come from (false turns the check off). Until then payments ' +
      'settle only by status queries, without receipts.',
  );
}
