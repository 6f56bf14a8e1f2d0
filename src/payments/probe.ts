/**
 * The callback probe: how `daraja doctor --callback-url` finds out what an app's callback route does with
 * a callback, without a payment.
 *
 * The doctor POSTs {@link callbackProbeBody} to the app's callback URL with the query parameter
 * {@link CALLBACK_PROBE_PARAM} set to a fresh nonce. A payment flow that sees that parameter in the
 * request URL treats the request as a probe, whatever its body (a route with no body parser still
 * shows its URL): it changes nothing (no store write, no audit row, not counted toward the
 * misconfiguration warning) and answers HTTP 200 with `{ ResultCode: 0, ResultDesc: 'Accepted', probe }`,
 * where `probe` is a {@link CallbackProbeReport}. Daraja never sends the parameter.
 *
 * @module
 */

/** The query parameter that marks a callback request as a probe. Its value is the prober's nonce. */
export const CALLBACK_PROBE_PARAM = 'daraja_probe';

/** The `MerchantRequestID` of a probe's body. */
export const CALLBACK_PROBE_MERCHANT_REQUEST_ID = 'daraja-doctor-probe';

/**
 * Why a real callback arriving like the probe would be rejected by the route as it is set up:
 *
 * - `invalid_body`: the flow could not read the probe's body (nothing arrived, an unread stream, or not the
 *   JSON that was sent): the route has no JSON body parser. Raw JSON text or bytes are fine.
 * - `ip_unknown`: `allowedIps` is on and the route passes no `remoteAddress`.
 * - `ip_not_allowed`: `allowedIps` is on and the address the flow resolved is private, loopback,
 *   link-local or carrier-grade NAT (10/8, 172.16/12, 192.168/16, 127/8, 169.254/16, 100.64/10, ::1,
 *   fc00::/7, fe80::/10) and not on the list: the app is behind a proxy or tunnel missing from
 *   `trustedProxies`, so Safaricom's callbacks would arrive from that address too. (A public address
 *   that is not on the list is not a problem: the prober is not Safaricom.)
 */
export type CallbackProbeProblemReason = 'invalid_body' | 'ip_unknown' | 'ip_not_allowed';

/** One reason the route would reject Daraja's callbacks, with the fix. */
export interface CallbackProbeProblem {
  /** The rejection reason the flow would record for a real callback. */
  reason: CallbackProbeProblemReason;
  /** What to change, in one or two sentences, for the developer. */
  fix: string;
}

/** What the payment flow saw of a probe, returned in its acknowledgement as `probe`. */
export interface CallbackProbeReport {
  /**
   * The nonce from the probe's URL, echoed so the prober knows it reached this flow (its first 128
   * characters, keeping only `A-Z a-z 0-9 . _ ~ -`).
   */
  nonce: string;
  /** The SDK version the app runs. */
  sdkVersion: string;
  /**
   * The request body as the flow received it: `parsed` (a JSON object), `missing` (no body reached the
   * flow: `undefined`, `null`, empty text or `{}`; usually no body parser on the route) or `unparsed` (a
   * string, a buffer or a stream). Unparsed JSON text is still read by the flow: see `problems`.
   */
  body: 'parsed' | 'missing' | 'unparsed';
  /** Whether the route passed the client's address to `handleCallback` (`remoteAddress`). */
  remoteAddress: 'present' | 'missing';
  /** The client address the flow resolved (after trusted proxies), when it had one. */
  clientAddress?: string;
  /** The source-address allow-list: `off`, or whether this probe's address would pass it. */
  allowedIps: 'off' | 'allowed' | 'rejected';
  /**
   * `ok` when a real callback from Safaricom sent the same way would get past the body and address checks;
   * otherwise `misconfigured`. (Tokens, amounts and the store are not exercised: the probe is no payment.)
   */
  verdict: 'ok' | 'misconfigured';
  /** What would make real callbacks fail, with fixes. Empty when the verdict is `ok`. */
  problems: CallbackProbeProblem[];
}

/**
 * The body `daraja doctor` sends as a probe: an STK callback shape that is not a payment.
 *
 * @returns A fresh probe body.
 */
export function callbackProbeBody(): Record<string, unknown> {
  return {
    Body: {
      stkCallback: {
        MerchantRequestID: CALLBACK_PROBE_MERCHANT_REQUEST_ID,
        CheckoutRequestID: 'ws_CO_DARAJA_DOCTOR_PROBE',
        ResultCode: 1032,
        ResultDesc: 'daraja doctor probe: not a payment',
      },
    },
  };
}
