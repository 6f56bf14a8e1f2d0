import { DARAJA_ENV_VARS } from '../client.js';

/**
 * @internal
 * What each variable is for, and how to fix it, keyed by the names of `DARAJA_ENV_VARS`. A variable the
 * SDK gains without an entry here gets a generic text.
 */
export const VARIABLE_HELP: Readonly<Record<string, { purpose: string; fix: string }>> = {
  [DARAJA_ENV_VARS.environment]: {
    purpose: 'sandbox or production; sandbox when unset',
    fix: 'Set MPESA_ENVIRONMENT=sandbox or MPESA_ENVIRONMENT=production (or unset it for the sandbox).',
  },
  [DARAJA_ENV_VARS.consumerKey]: {
    purpose: "your Daraja app's consumer key",
    fix: 'Copy the Consumer Key of your app on developer.safaricom.co.ke (My Apps) into MPESA_CONSUMER_KEY. Sandbox and production apps have different keys.',
  },
  [DARAJA_ENV_VARS.consumerSecret]: {
    purpose: "your Daraja app's consumer secret",
    fix: 'Copy the Consumer Secret of the same app into MPESA_CONSUMER_SECRET. Keep it in a secret store, not in code.',
  },
  [DARAJA_ENV_VARS.shortcode]: {
    purpose: 'the PayBill number, or the store number for Buy Goods',
    fix: 'Set MPESA_SHORTCODE to your PayBill number, or your store number for Buy Goods (5 to 7 digits); 174379 in the sandbox.',
  },
  [DARAJA_ENV_VARS.passkey]: {
    purpose: 'the Lipa na M-Pesa Online passkey',
    fix: "Set MPESA_PASSKEY to the Lipa na M-Pesa Online passkey of that shortcode: in the sandbox the one on the Daraja portal's test credentials page (it goes with 174379); in production your shortcode's own.",
  },
  [DARAJA_ENV_VARS.callbackUrl]: {
    purpose: 'the default STK callback URL; stk.push needs one, createPaymentFlow takes its own',
    fix: 'Set MPESA_CALLBACK_URL to the public URL of your callback route, e.g. https://example.com/api/payments/callback: no spaces, https:// in production.',
  },
  [DARAJA_ENV_VARS.baseUrl]: {
    purpose: "overrides the environment's Daraja URL, e.g. the local simulator",
    fix: "Unset MPESA_BASE_URL to use the environment's Daraja URL, or set it to an absolute http(s) URL without a path, e.g. http://127.0.0.1:4010 for `npx daraja-sdk sim`.",
  },
  [DARAJA_ENV_VARS.tillNumber]: {
    purpose: 'the till number for Buy Goods; unset for PayBill',
    fix: 'Set MPESA_TILL_NUMBER to your till number (5 to 8 digits), or unset it for PayBill.',
  },
  [DARAJA_ENV_VARS.initiatorName]: {
    purpose: 'the API initiator for B2C, B2B, tax, status, balance and reversal',
    fix: 'Set MPESA_INITIATOR_NAME to the initiator username created on the M-Pesa org portal (in the sandbox, the test credentials page).',
  },
  [DARAJA_ENV_VARS.initiatorPassword]: {
    purpose: "the initiator's password, encrypted into the SecurityCredential with MPESA_CERTIFICATE",
    fix: 'Set MPESA_INITIATOR_PASSWORD together with MPESA_CERTIFICATE or MPESA_CERTIFICATE_PATH, or set MPESA_SECURITY_CREDENTIAL instead.',
  },
  [DARAJA_ENV_VARS.certificate]: {
    purpose: "Safaricom's public certificate (PEM text) for the SecurityCredential",
    fix: 'Paste the PEM certificate of your environment (sandbox and production differ) or use MPESA_CERTIFICATE_PATH.',
  },
  [DARAJA_ENV_VARS.certificatePath]: {
    purpose: "a file holding Safaricom's certificate (PEM or DER)",
    fix: 'Point MPESA_CERTIFICATE_PATH at the .cer file downloaded from the Daraja portal for this environment.',
  },
  [DARAJA_ENV_VARS.securityCredential]: {
    purpose: 'a precomputed SecurityCredential (instead of password + certificate)',
    fix: 'Generate it on the Daraja portal test credentials page, or unset it and give the password and certificate.',
  },
  [DARAJA_ENV_VARS.initiatorShortcode]: {
    purpose: 'the shortcode initiator calls act for (PartyA); MPESA_SHORTCODE when unset',
    fix: 'Set MPESA_INITIATOR_SHORTCODE to the B2C / B2B shortcode (5 to 7 digits), or unset it.',
  },
  [DARAJA_ENV_VARS.resultUrl]: {
    purpose: 'where initiator calls send their asynchronous Result',
    fix: 'Set MPESA_RESULT_URL to a public HTTPS URL of your result route.',
  },
  [DARAJA_ENV_VARS.queueTimeoutUrl]: {
    purpose: 'where Daraja reports initiator calls that timed out in its queue',
    fix: 'Set MPESA_QUEUE_TIMEOUT_URL to a public HTTPS URL (it may be the result route).',
  },
  [DARAJA_ENV_VARS.logLevel]: {
    purpose: 'the least severe level the SDK logs to the console when no logger is given',
    fix: 'Set DARAJA_LOG to debug, info, warn or error, or unset it to stay silent.',
  },
};
