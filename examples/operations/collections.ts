// Collections against the local Daraja simulator: an STK push and its callback, then C2B (register the
// validation and confirmation URLs, simulate payments, accept one and reject one at validation). Run it:
//
//   npx tsx --tsconfig examples/tsconfig.json examples/operations/collections.ts
import { Daraja, maskPhoneNumber, parseStkCallback, type StkCallbackResult } from 'daraja-sdk';
import {
  type C2bPayload,
  c2bAccept,
  c2bConfirmationAck,
  c2bReject,
  parseC2bPayload,
} from 'daraja-sdk/results';
import { createSimulator } from 'daraja-sdk/simulator';
import { Inbox, isMain, listen } from './merchant-server.js';

export async function main(print: (line: string) => void = console.log) {
  // 1. A local Daraja.
  const sim = await createSimulator({ callbackDelayMs: 200 });

  // 2. The merchant's URLs. Invoices this shop knows; C2B payments to other accounts are refused.
  const invoices = new Map([['INV-1001', 250]]);
  const stkCallbacks = new Inbox<StkCallbackResult>();
  const validations = new Inbox<{ payment: C2bPayload; accepted: boolean }>();
  const confirmations = new Inbox<C2bPayload>();
  const merchant = await listen({
    '/payments/stk/callback': (body) => {
      const result = parseStkCallback(body);
      stkCallbacks.put(result.checkoutRequestId, result);
      return { ResultCode: 0, ResultDesc: 'Accepted' };
    },
    // Answer within ~8 s: accept, or reject with a C2B reject code (the customer's money is not taken).
    '/payments/c2b/validation': (body) => {
      const payment = parseC2bPayload(body);
      const accepted = invoices.get(payment.billRefNumber) === payment.amount;
      validations.put(payment.billRefNumber, { payment, accepted });
      return accepted ? c2bAccept(`order-${payment.billRefNumber}`) : c2bReject('C2B00012');
    },
    // Store the payment (idempotently, by receipt), then acknowledge.
    '/payments/c2b/confirmation': (body) => {
      const payment = parseC2bPayload(body);
      confirmations.put(payment.billRefNumber, payment);
      return c2bConfirmationAck();
    },
  });

  // 3. The client, with the simulator's credentials (the sandbox shortcode 174379 and its passkey).
  const daraja = new Daraja({
    baseUrl: sim.url, // leave out for the real sandbox
    consumerKey: sim.consumerKey,
    consumerSecret: sim.consumerSecret,
    shortcode: sim.shortcode,
    passkey: sim.passkey,
    callbackUrl: `${merchant.url}/payments/stk/callback`,
  });

  try {
    // 4. STK push: a PIN prompt on the customer's phone; the outcome arrives on the callback URL.
    const push = await daraja.stk.push({
      phoneNumber: '0712345678',
      amount: 100,
      accountReference: 'PRO-42',
    });
    print(`STK push accepted: ${push.checkoutRequestId}`);
    const callback = await stkCallbacks.next(push.checkoutRequestId);
    if (callback.status === 'completed')
      print(
        `STK callback: completed, receipt ${callback.mpesaReceiptNumber}, KES ${callback.amount} ` +
          `from ${maskPhoneNumber(callback.phoneNumber ?? '')}`,
      );
    else print(`STK callback: ${callback.status} (${callback.resultCode} ${callback.resultDesc})`);

    // 5. C2B: register the URLs (one-time in production; the sandbox lets you re-register), then simulate.
    await daraja.c2b.registerUrls({
      confirmationUrl: `${merchant.url}/payments/c2b/confirmation`,
      validationUrl: `${merchant.url}/payments/c2b/validation`,
      responseType: 'Completed',
    });
    print(`C2B URLs registered for ${sim.shortcode}`);

    await daraja.c2b.simulate({ phoneNumber: '254708374149', amount: 250, billRefNumber: 'INV-1001' });
    const good = await validations.next('INV-1001');
    print(
      `C2B validation: ${good.payment.billRefNumber}, KES ${good.payment.amount} -> ${good.accepted ? 'accepted' : 'rejected'}`,
    );
    const confirmed = await confirmations.next('INV-1001');
    print(
      `C2B confirmation: receipt ${confirmed.transactionId}, account ${confirmed.billRefNumber}, KES ${confirmed.amount}, ` +
        `payer ${confirmed.msisdn.slice(0, 8)}… (hashed: C2B no longer discloses the number), your ref ${confirmed.thirdPartyTransId}, ` +
        `paybill balance KES ${confirmed.orgAccountBalance}`,
    );

    await daraja.c2b.simulate({ phoneNumber: '254708374149', amount: 99, billRefNumber: 'NO-SUCH-INV' });
    const bad = await validations.next('NO-SUCH-INV');
    print(
      `C2B validation: ${bad.payment.billRefNumber}, KES ${bad.payment.amount} -> ${bad.accepted ? 'accepted' : 'rejected (C2B00012)'}`,
    );
    await sim.idle(); // the simulator's own test helper: nothing else is on its way
    print(`C2B payments: ${sim.c2bPayments.map((p) => `${p.billRefNumber} ${p.status}`).join(', ')}`);

    return { callback, confirmed, rejected: bad.payment, payments: sim.c2bPayments };
  } finally {
    await merchant.close();
    await sim.close();
  }
}

if (isMain(import.meta.url)) await main();
