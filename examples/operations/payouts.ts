// Payouts against the local Daraja simulator: B2C with an idempotency key (and a safe retry), B2B PayBill
// and Buy Goods, and tax remittance, with every result received on a ResultURL and parsed by
// createResultHandler. Run it:
//
//   npx tsx --tsconfig examples/tsconfig.json examples/operations/payouts.ts
import { randomUUID } from 'node:crypto';
import { Daraja, isDarajaDuplicateError, maskPhoneNumber } from 'daraja-sdk';
import {
  type B2bResult,
  type B2cResult,
  createResultHandler,
  type QueueTimeoutNotice,
} from 'daraja-sdk/results';
import { createSimulator } from 'daraja-sdk/simulator';
import { Inbox, isMain, listen } from './merchant-server.js';

export async function main(print: (line: string) => void = console.log) {
  // 1. A local Daraja. Its initiator password and certificate play Safaricom's test credentials.
  const sim = await createSimulator({ callbackDelayMs: 200 });

  // 2. The merchant's result URLs: one handler per operation kind, each always answering Daraja 200.
  const b2cResults = new Inbox<B2cResult>();
  const b2bResults = new Inbox<B2bResult>();
  const timeouts = new Inbox<QueueTimeoutNotice>();
  const handlers = {
    b2c: createResultHandler({ kind: 'b2c', onResult: (r) => b2cResults.put(r.originatorConversationId, r) }),
    b2b: createResultHandler({ kind: 'b2b', onResult: (r) => b2bResults.put(r.originatorConversationId, r) }),
    timeout: createResultHandler({
      kind: 'queueTimeout',
      onResult: (r) => timeouts.put(r.originatorConversationId ?? '', r),
    }),
  };
  const merchant = await listen({
    '/daraja/b2c/result': async (body) => (await handlers.b2c.handle({ body })).body,
    '/daraja/b2b/result': async (body) => (await handlers.b2b.handle({ body })).body,
    '/daraja/timeout': async (body) => (await handlers.timeout.handle({ body })).body,
  });

  // 3. The client, configured as for Safaricom: initiator, password + certificate, shortcode, URLs.
  const daraja = new Daraja({
    baseUrl: sim.url, // leave out for the real sandbox (environment: 'sandbox')
    consumerKey: sim.consumerKey,
    consumerSecret: sim.consumerSecret,
    initiatorName: sim.initiatorName,
    initiatorPassword: sim.initiatorPassword,
    certificate: sim.certificate, // Safaricom's .cer for the environment, in real life
    initiatorShortcode: sim.initiatorShortcode,
    resultUrl: `${merchant.url}/daraja/b2c/result`,
    queueTimeoutUrl: `${merchant.url}/daraja/timeout`,
  });

  try {
    // 4. B2C: create the idempotency key and store it with the payout *before* calling.
    const payout = { id: `payout-${randomUUID()}`, phoneNumber: '0712345678', amount: 1500 };
    const accepted = await daraja.b2c.pay({
      phoneNumber: payout.phoneNumber,
      amount: payout.amount,
      originatorConversationId: payout.id,
      remarks: 'Refund for order 1042',
    });
    print(`B2C accepted: ${accepted.originatorConversationId} (${accepted.conversationId})`);

    // A retry with the same id (after a timeout, or a restart) cannot pay twice: Daraja refuses it.
    try {
      await daraja.b2c.pay({
        phoneNumber: payout.phoneNumber,
        amount: payout.amount,
        originatorConversationId: payout.id,
      });
    } catch (error) {
      if (!isDarajaDuplicateError(error)) throw error;
      print(
        `B2C retry with the same id: ${error.name} (${error.errorCode}), already accepted; waiting for the result`,
      );
    }

    const paid = await b2cResults.next(payout.id);
    print(
      `B2C result ${paid.originatorConversationId}: ${paid.success ? 'paid' : 'failed'}, receipt ${paid.receiptNumber}, ` +
        `KES ${paid.amount} to ${paid.receiver?.name} (${maskPhoneNumber(paid.receiver?.identifier ?? '')}), ` +
        `completed ${paid.completedAt?.toISOString()}, utility account left KES ${paid.utilityAccountAvailableFunds}`,
    );

    // The simulator's rule: a number ending in 03 has "insufficient funds" (result 1).
    const short = await daraja.b2c.pay({
      phoneNumber: '0712345603',
      amount: 500,
      originatorConversationId: `payout-${randomUUID()}`,
    });
    const failed = await b2cResults.next(short.originatorConversationId);
    print(`B2C result ${failed.originatorConversationId}: failed ${failed.resultCode}: ${failed.meaning}`);

    // 5. B2B and tax: never resent by the SDK (no idempotency key); each result on its own URL.
    const b2bUrl = `${merchant.url}/daraja/b2b/result`;
    const bill = await daraja.b2b.payBill({
      payBillNumber: '888880',
      accountReference: 'ACC-2041',
      amount: 12_500,
      resultUrl: b2bUrl,
    });
    const till = await daraja.b2b.buyGoods({ tillNumber: '5201234', amount: 3000, resultUrl: b2bUrl });
    const tax = await daraja.tax.remit({
      amount: 4200,
      paymentRegistrationNumber: '2024KRA0001234',
      resultUrl: b2bUrl,
    });
    const lines: Array<[string, B2bResult]> = [
      ['B2B PayBill', await b2bResults.next(bill.originatorConversationId)],
      ['B2B Buy Goods', await b2bResults.next(till.originatorConversationId)],
      ['Tax remittance', await b2bResults.next(tax.originatorConversationId)],
    ];
    for (const [label, r] of lines)
      print(
        `${label} result: ${r.success ? 'paid' : `failed ${r.resultCode}`} KES ${r.amount} to ${r.receiver?.identifier} ` +
          `${r.receiver?.name}${r.billReferenceNumber ? ` (account ${r.billReferenceNumber})` : ''}, receipt ${r.transactionId}, ` +
          `working account left KES ${r.debitPartyAffectedAccountBalance?.[0]?.availableBalance}`,
      );

    return {
      paid,
      failed,
      b2b: lines.map(([, r]) => r),
      requests: sim.requests.map((r) => `${r.operation} ${r.status}`),
    };
  } finally {
    await merchant.close();
    await sim.close();
  }
}

if (isMain(import.meta.url)) await main();
