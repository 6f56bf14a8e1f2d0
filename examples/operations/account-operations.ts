// Account operations against the local Daraja simulator: a C2B payment to look at, then transaction
// status, account balance, a reversal (and a second one, refused), a dynamic QR code and pull
// transactions, with the results received on their own ResultURLs and parsed by createResultHandler.
// Run it:
//
//   npx tsx --tsconfig examples/tsconfig.json examples/operations/account-operations.ts
import { Daraja } from 'daraja-sdk';
import {
  type AccountBalanceResult,
  type C2bPayload,
  c2bAccept,
  c2bConfirmationAck,
  createResultHandler,
  parseC2bPayload,
  type ReversalResult,
  type TransactionStatusResult,
} from 'daraja-sdk/results';
import { createSimulator } from 'daraja-sdk/simulator';
import { Inbox, isMain, listen } from './merchant-server.js';

export async function main(print: (line: string) => void = console.log) {
  // 1. A local Daraja.
  const sim = await createSimulator({ callbackDelayMs: 200 });

  // 2. The merchant's URLs: one result handler per kind (route each operation to its own URL).
  const statuses = new Inbox<TransactionStatusResult>();
  const balances = new Inbox<AccountBalanceResult>();
  const reversals = new Inbox<ReversalResult>();
  const payments = new Inbox<C2bPayload>();
  const handlers = {
    status: createResultHandler({
      kind: 'transactionStatus',
      onResult: (r) => statuses.put(r.originatorConversationId, r),
    }),
    balance: createResultHandler({
      kind: 'accountBalance',
      onResult: (r) => balances.put(r.originatorConversationId, r),
    }),
    reversal: createResultHandler({
      kind: 'reversal',
      onResult: (r) => reversals.put(r.originatorConversationId, r),
    }),
  };
  const merchant = await listen({
    '/daraja/status/result': async (body) => (await handlers.status.handle({ body })).body,
    '/daraja/balance/result': async (body) => (await handlers.balance.handle({ body })).body,
    '/daraja/reversal/result': async (body) => (await handlers.reversal.handle({ body })).body,
    '/daraja/timeout': () => ({ ResultCode: 0, ResultDesc: 'Accepted' }),
    '/payments/c2b/validation': () => c2bAccept(),
    '/payments/c2b/confirmation': (body) => {
      const payment = parseC2bPayload(body);
      payments.put(payment.billRefNumber, payment);
      return c2bConfirmationAck();
    },
  });
  const url = (path: string) => `${merchant.url}${path}`;

  // 3. The client: the initiator settings, and the organisation shortcode as the PayBill too.
  const daraja = new Daraja({
    baseUrl: sim.url, // leave out for the real sandbox
    consumerKey: sim.consumerKey,
    consumerSecret: sim.consumerSecret,
    shortcode: sim.initiatorShortcode,
    initiatorName: sim.initiatorName,
    initiatorPassword: sim.initiatorPassword,
    certificate: sim.certificate,
    initiatorShortcode: sim.initiatorShortcode,
    resultUrl: url('/daraja/status/result'),
    queueTimeoutUrl: url('/daraja/timeout'),
  });

  try {
    // 4. Something to look at: a customer pays the PayBill by mistake (C2B, sandbox simulation).
    await daraja.c2b.registerUrls({
      confirmationUrl: url('/payments/c2b/confirmation'),
      validationUrl: url('/payments/c2b/validation'),
    });
    await daraja.c2b.simulate({ phoneNumber: '254708374149', amount: 200, billRefNumber: 'WRONG-ACC' });
    const payment = await payments.next('WRONG-ACC');
    print(
      `C2B payment received: receipt ${payment.transactionId}, KES ${payment.amount}, account ${payment.billRefNumber}`,
    );

    // 5. Transaction status, by receipt (or by the original OriginatorConversationID).
    const query = await daraja.transactions.status({ transactionId: payment.transactionId });
    const status = await statuses.next(query.originatorConversationId);
    print(
      `Status of ${status.receiptNumber}: ${status.transactionStatus}, KES ${status.amount}, ${status.reasonType}, ` +
        `finalised ${status.finalisedAt?.toISOString()}`,
    );

    // 6. Account balance: the balance string, split into accounts.
    const asked = await daraja.account.balance({ resultUrl: url('/daraja/balance/result') });
    const balance = await balances.next(asked.originatorConversationId);
    for (const account of balance.accounts)
      print(
        `Balance: ${account.name}: ${account.currency} ${account.availableBalance?.toFixed(2)} available`,
      );

    // 7. Reversal of the mistaken payment; a second reversal of the same receipt is refused (R000001).
    const reversalUrl = url('/daraja/reversal/result');
    const first = await daraja.reversal.reverse({
      transactionId: payment.transactionId,
      amount: payment.amount,
      resultUrl: reversalUrl,
    });
    const reversed = await reversals.next(first.originatorConversationId);
    print(
      `Reversal: ${reversed.success ? 'done' : 'failed'}, KES ${reversed.amount} of ${reversed.originalTransactionId} ` +
        `back to ${reversed.creditParty?.name}, receipt ${reversed.transactionId}`,
    );
    const again = await daraja.reversal.reverse({
      transactionId: payment.transactionId,
      amount: payment.amount,
      resultUrl: reversalUrl,
    });
    const refused = await reversals.next(again.originatorConversationId);
    print(`Second reversal: ${refused.resultCode}: ${refused.meaning}`);
    const after = await statuses.next(
      (await daraja.transactions.status({ transactionId: payment.transactionId })).originatorConversationId,
    );
    print(`Status of ${after.receiptNumber} now: ${after.transactionStatus}`);

    // 8. A dynamic QR code (synchronous): a base64 PNG to show as <img src="data:image/png;base64,…">.
    const qr = await daraja.qr.generate({
      merchantName: 'TEST SUPERMARKET',
      refNo: 'Invoice Test',
      amount: 1,
      trxCode: 'BG',
      creditPartyIdentifier: '373132',
      size: 300,
    });
    const png = Buffer.from(qr.qrCode, 'base64');
    print(
      `QR code: ${qr.responseDescription} ${png.readUInt32BE(16)}x${png.readUInt32BE(20)} PNG, ${png.length} bytes`,
    );

    // 9. Pull transactions (production only on Daraja): register once, then list a period's C2B payments.
    const registered = await daraja.pull.register({
      nominatedNumber: '0722000000',
      callbackUrl: url('/daraja/pull'),
    });
    const pulled = await daraja.pull.query({
      startDate: new Date(Date.now() - 3_600_000),
      endDate: new Date(),
    });
    print(
      `Pull: registered (${registered.responseStatus}), ${pulled.transactions.length} transaction(s): ` +
        pulled.transactions.map((t) => `${t.transactionId} ${t.transactionType} KES ${t.amount}`).join(', '),
    );

    return { payment, status, balance, reversed, refused, after, qr, pulled };
  } finally {
    await merchant.close();
    await sim.close();
  }
}

if (isMain(import.meta.url)) await main();
