import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DarajaDuplicateError,
  DarajaUnknownOutcomeError,
  DarajaValidationError,
  encryptSecurityCredential,
  isDarajaDuplicateError,
} from '../../src/index.js';
import {
  createSimulator,
  RESULT_OUTCOME_RULES,
  resultOutcomeFor,
  type Simulator,
  type SimulatorOptions,
} from '../../src/simulator/index.js';
import {
  B2C_SHORTCODE,
  CONSUMER_KEY,
  CONSUMER_SECRET,
  INITIATOR_NAME,
  INITIATOR_PASSWORD,
} from '../fixtures/constants.js';
import { generateCertificate } from '../helpers/certificate.js';
import { makeClient } from '../helpers/client.js';
import { testLogger } from '../helpers/logger.js';
import { type ResultReceiver, startResultReceiver } from '../helpers/result-receiver.js';

// The SDK's initiator operations against the simulator over real HTTP. A local receiver plays the
// merchant's ResultURLs with the SDK's own createResultHandler, so every result the simulator sends must
// parse into the right typed values. The simulator logs to the capturing logger and is given the test
// initiator password, so the log scanner checks that neither side ever logs it or a credential.
let receiver: ResultReceiver;
const sims: Simulator[] = [];

async function simulator(options: SimulatorOptions = {}) {
  const sim = await createSimulator({
    consumerKey: CONSUMER_KEY,
    consumerSecret: CONSUMER_SECRET,
    initiatorName: INITIATOR_NAME,
    initiatorPassword: INITIATOR_PASSWORD,
    initiatorShortcode: B2C_SHORTCODE,
    callbackDelayMs: 20,
    lateCallbackDelayMs: 200,
    logger: testLogger,
    ...options,
  });
  sims.push(sim);
  return sim;
}

/** A client configured as for Daraja: initiator, password + the simulator's certificate, result URLs. */
function clientFor(sim: Simulator, overrides: Parameters<typeof makeClient>[0] = {}) {
  return makeClient({
    baseUrl: sim.url,
    initiatorName: INITIATOR_NAME,
    initiatorPassword: INITIATOR_PASSWORD,
    certificate: sim.certificate,
    initiatorShortcode: B2C_SHORTCODE,
    resultUrl: receiver.url('/result/result'),
    queueTimeoutUrl: receiver.url('/queueTimeout/result'),
    ...overrides,
  });
}
const resultUrl = (kind: string) => receiver.url(`/${kind}/result`);

/** POST a raw JSON body to the simulator with a fresh access token, as a client other than the SDK would. */
async function rawPost(sim: Simulator, path: string, body: unknown): Promise<Response> {
  const oauth = await fetch(`${sim.url}/oauth/v1/generate?grant_type=client_credentials`, {
    headers: {
      authorization: `Basic ${Buffer.from(`${CONSUMER_KEY}:${CONSUMER_SECRET}`).toString('base64')}`,
    },
  });
  const { access_token } = (await oauth.json()) as { access_token: string };
  return fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

beforeAll(async () => {
  receiver = await startResultReceiver();
});
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
  expect(receiver.handlerErrors).toEqual([]);
  receiver.reset();
});
afterAll(() => receiver.close());

type Client = ReturnType<typeof clientFor>;
type Pay = (
  daraja: Client,
  params: { phoneNumber: string; amount: number; [k: string]: unknown },
) => Promise<unknown>;
/** B2C's payment and Business to Pochi (B2C's body on /mpesa/b2pochi/v1/paymentrequest): one behaviour. */
const PAYMENTS: Array<[operation: string, path: string, pay: Pay]> = [
  ['b2c.pay', '/mpesa/b2c/v3/paymentrequest', (daraja, params) => daraja.b2c.pay(params)],
  ['b2c.payToPochi', '/mpesa/b2pochi/v1/paymentrequest', (daraja, params) => daraja.b2c.payToPochi(params)],
];

describe('B2C', () => {
  it.each(PAYMENTS)(
    '%s: accepts a payment like Daraja and POSTs a result that parses into a typed B2cResult',
    async (operation, path, pay) => {
      const sim = await simulator();
      const daraja = clientFor(sim, { resultUrl: resultUrl('b2c') });
      const results = receiver.results('b2c');
      const accepted = (await pay(daraja, {
        phoneNumber: '0712345678',
        amount: 1500,
        originatorConversationId: 'payout-1001',
        occasion: 'Refund',
      })) as Awaited<ReturnType<Client['b2c']['pay']>>;
      expect(accepted).toMatchObject({
        originatorConversationId: 'payout-1001',
        conversationId: expect.stringMatching(/^AG_\d{8}_[0-9a-f]{20}$/),
        responseCode: '0',
        responseDescription: 'Accept the service request successfully.',
      });
      expect(sim.operation('payout-1001')).toMatchObject({ status: 'pending', credentialValid: true });
      await sim.idle();

      expect(results).toHaveLength(1);
      const result = results[0]!;
      expect(result).toMatchObject({
        success: true,
        resultCode: '0',
        resultType: 0,
        originatorConversationId: 'payout-1001',
        conversationId: accepted.conversationId,
        amount: 1500,
        receiver: { identifier: '254712345678', name: 'JOHN DOE', phoneNumber: '254712345678' },
        recipientIsRegisteredCustomer: true,
        utilityAccountAvailableFunds: 1_000_000 - 1500,
        workingAccountAvailableFunds: 500_000,
        chargesPaidAccountAvailableFunds: 0,
      });
      expect(result.receiptNumber).toMatch(/^[A-Z][A-Z0-9]{9}$/);
      expect(result.transactionId).toBe(result.receiptNumber);
      expect(Math.abs(result.completedAt!.getTime() - Date.now())).toBeLessThan(5000);
      expect(result.referenceData).toEqual([
        {
          key: 'QueueTimeoutURL',
          value: 'https://internalsandbox.safaricom.co.ke/mpesa/b2cresults/v1/submit',
        },
      ]);

      // The wire format of Daraja's sample: numbers where it has numbers, the dd.MM.yyyy date, Occassion.
      const body = receiver.received[0]!.body as { Result: Record<string, unknown> };
      expect(body.Result['ResultCode']).toBe(0);
      const params = (
        body.Result['ResultParameters'] as { ResultParameter: { Key: string; Value: unknown }[] }
      ).ResultParameter;
      expect(params.map((p) => p.Key)).toEqual([
        'TransactionAmount',
        'TransactionReceipt',
        'ReceiverPartyPublicName',
        'TransactionCompletedDateTime',
        'B2CUtilityAccountAvailableFunds',
        'B2CWorkingAccountAvailableFunds',
        'B2CRecipientIsRegisteredCustomer',
        'B2CChargesPaidAccountAvailableFunds',
      ]);
      expect(params[3]!.Value).toMatch(/^\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}:\d{2}$/);
      expect(sim.operation('payout-1001')).toMatchObject({
        operation,
        commandId: operation === 'b2c.pay' ? 'BusinessPayment' : 'BusinessPayToPochi',
      });
      expect(sim.requests.find((r) => r.operation === operation)).toMatchObject({ path, status: 200 });
      expect(sim.requests.find((r) => r.operation === operation)!.body).toMatchObject({
        OriginatorConversationID: 'payout-1001',
        SecurityCredential: '[redacted]',
        Occassion: 'Refund',
      });
      expect(sim.ledger).toEqual([
        expect.objectContaining({ kind: 'b2c', receipt: result.receiptNumber, amount: 1500 }),
      ]);
    },
  );

  it.each(PAYMENTS)(
    'item 3 (%s): a retry with the same OriginatorConversationID is rejected as a duplicate and surfaced as DarajaDuplicateError',
    async (operation, _path, pay) => {
      const sim = await simulator();
      // The first attempt reaches the simulator, which accepts the payment but holds its answer for 1 s;
      // the client gives up after 300 ms and retries with the same body and id (B2C is idempotent by key).
      const daraja = clientFor(sim, { resultUrl: resultUrl('b2c'), timeoutMs: 300 });
      const results = receiver.results('b2c');
      sim.delayResponses(1000);
      const error = await pay(daraja, {
        phoneNumber: '0712345678',
        amount: 700,
        originatorConversationId: 'payout-42',
      }).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(DarajaDuplicateError);
      expect(isDarajaDuplicateError(error)).toBe(true);
      const duplicate = error as DarajaDuplicateError;
      expect(duplicate.idempotencyKey).toBe('payout-42');
      expect(duplicate).toMatchObject({
        status: 500,
        errorCode: '500.002.1001',
        errorMessage: 'Duplicate OriginatorConversationID.',
      });
      await sim.idle();

      // The simulator saw both requests, answered the second with Daraja's envelope, and paid once.
      const attempts = sim.requests
        .filter((r) => r.operation === operation)
        .sort((a, b) => a.time.getTime() - b.time.getTime());
      expect(attempts.map((r) => r.status)).toEqual([200, 500]);
      expect(
        attempts.map((r) => (r.body as { OriginatorConversationID: string }).OriginatorConversationID),
      ).toEqual(['payout-42', 'payout-42']);
      expect(attempts[1]!.response).toEqual({
        requestId: expect.any(String),
        errorCode: '500.002.1001',
        errorMessage: 'Duplicate OriginatorConversationID.',
      });
      expect(sim.operations).toHaveLength(1);
      expect(sim.ledger.filter((e) => e.kind === 'b2c')).toHaveLength(1);
      expect(results.map((r) => [r.originatorConversationId, r.success])).toEqual([['payout-42', true]]);
    },
  );

  it.each(PAYMENTS)(
    'a second %s with the same id, later, is refused the same way; a new id pays',
    async (operation, _path, pay) => {
      const sim = await simulator();
      const daraja = clientFor(sim);
      await pay(daraja, { phoneNumber: '0712345678', amount: 10, originatorConversationId: 'once' });
      const again = await pay(daraja, {
        phoneNumber: '0712345678',
        amount: 10,
        originatorConversationId: 'once',
      }).catch((e: unknown) => e);
      expect(again).toBeInstanceOf(DarajaDuplicateError);
      expect(again).toMatchObject({ operation });
      await pay(daraja, { phoneNumber: '0712345678', amount: 10, originatorConversationId: 'twice' });
      await sim.idle();
      expect(sim.operations.map((o) => [o.originatorConversationId, o.status])).toEqual([
        ['once', 'completed'],
        ['twice', 'completed'],
      ]);
    },
  );

  it('all attempts held: DarajaUnknownOutcomeError, and calling again with the same id is still safe', async () => {
    const sim = await simulator();
    const daraja = clientFor(sim, { timeoutMs: 150, maxRetries: 1 });
    sim.delayResponses(600, 2);
    const error = await daraja.b2c
      .pay({ phoneNumber: '0712345678', amount: 10, originatorConversationId: 'lost-answers' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DarajaUnknownOutcomeError);
    await sim.idle();
    const later = await daraja.b2c
      .pay({ phoneNumber: '0712345678', amount: 10, originatorConversationId: 'lost-answers' })
      .catch((e: unknown) => e);
    expect(later).toBeInstanceOf(DarajaDuplicateError);
    expect(sim.operations).toHaveLength(1);
  });

  it('the legacy v1 path accepts a payment without an OriginatorConversationID and makes one up', async () => {
    const sim = await simulator();
    const results = receiver.results('b2c');
    const answer = await rawPost(sim, '/mpesa/b2c/v1/paymentrequest', {
      InitiatorName: INITIATOR_NAME,
      SecurityCredential: sim.securityCredential(),
      CommandID: 'SalaryPayment',
      Amount: 100,
      PartyA: B2C_SHORTCODE,
      PartyB: '254712345678',
      Remarks: 'Salary',
      QueueTimeOutURL: receiver.url('/timeout'),
      ResultURL: resultUrl('b2c'),
      Occasion: 'June',
    });
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as Record<string, string>;
    expect(Object.keys(body)).toEqual([
      'ConversationID',
      'OriginatorConversationID',
      'ResponseCode',
      'ResponseDescription',
    ]);
    expect(body['OriginatorConversationID']).toMatch(/^\d{4,5}-\d{8}-\d$/);
    await sim.idle();
    expect(results[0]).toMatchObject({
      success: true,
      originatorConversationId: body['OriginatorConversationID'],
    });
  });

  it('Business to Pochi: the BusinessPayToPochi command; a B2C id and a Pochi id share one duplicate check', async () => {
    const sim = await simulator();
    const daraja = clientFor(sim);
    await daraja.b2c.pay({ phoneNumber: '0712345678', amount: 10, originatorConversationId: 'shared' });
    const again = await daraja.b2c
      .payToPochi({ phoneNumber: '0712345678', amount: 10, originatorConversationId: 'shared' })
      .catch((e: unknown) => e);
    expect(again).toBeInstanceOf(DarajaDuplicateError);
    await daraja.b2c.payToPochi({ phoneNumber: '0712345603', amount: 50, originatorConversationId: 'short' });
    await sim.idle();
    // The phone-number rule of B2C: a number ending in 03 is short of funds (1, the Utility account).
    expect(sim.operation('short')).toMatchObject({ commandId: 'BusinessPayToPochi', resultCode: '1' });
  });

  it('Business to Pochi under KES 10: the SDK refuses it; sent raw, it is accepted and fails with result 2', async () => {
    const sim = await simulator();
    const results = receiver.results('b2c');
    const daraja = clientFor(sim);
    const refused = await daraja.b2c
      .payToPochi({ phoneNumber: '0712345678', amount: 5 })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DarajaValidationError);
    const answer = await rawPost(sim, '/mpesa/b2pochi/v1/paymentrequest', {
      OriginatorConversationID: 'below-minimum',
      InitiatorName: INITIATOR_NAME,
      SecurityCredential: sim.securityCredential(),
      CommandID: 'BusinessPayToPochi',
      Amount: '5',
      PartyA: B2C_SHORTCODE,
      PartyB: '254712345678',
      Remarks: 'remarked',
      QueueTimeOutURL: receiver.url('/timeout'),
      ResultURL: resultUrl('b2c'),
    });
    expect(answer.status).toBe(200);
    await sim.idle();
    expect(results.map((r) => [r.originatorConversationId, r.resultCode])).toEqual([['below-minimum', '2']]);
    expect(sim.ledger).toEqual([]);
  });
});

describe('the SecurityCredential check', () => {
  it('a credential made with another certificate is accepted, then fails in the result with 2001', async () => {
    const sim = await simulator();
    const other = generateCertificate();
    const daraja = clientFor(sim, { resultUrl: resultUrl('b2c'), certificate: other.certPem });
    const results = receiver.results('b2c');
    const accepted = await daraja.b2c.pay({ phoneNumber: '0712345678', amount: 10 });
    expect(accepted.responseCode).toBe('0'); // HTTP 200 "accepted", as Daraja does
    await sim.idle();
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({
      success: false,
      resultCode: '2001',
      resultDesc: 'The initiator information is invalid.',
      meaning: expect.stringMatching(/^The initiator information is invalid/),
      parameters: [],
      amount: undefined,
      receiptNumber: undefined,
    });
    expect(sim.operation(accepted.originatorConversationId)).toMatchObject({
      credentialValid: false,
      status: 'failed',
    });
    expect(sim.ledger).toEqual([]);
  });

  it('a wrong password, the plain password, or a wrong initiator name also give 2001', async () => {
    const sim = await simulator();
    const results = receiver.results('result');
    const wrongPassword = clientFor(sim, { initiatorPassword: 'not-the-password' });
    const plain = clientFor(sim, {
      initiatorPassword: undefined,
      certificate: undefined,
      securityCredential: INITIATOR_PASSWORD,
    });
    const wrongName = clientFor(sim, { initiatorName: 'someone-else' });
    const precomputed = clientFor(sim, {
      initiatorPassword: undefined,
      certificate: undefined,
      securityCredential: encryptSecurityCredential(INITIATOR_PASSWORD, sim.certificate),
    });
    for (const daraja of [wrongPassword, plain, wrongName, precomputed])
      await daraja.account.balance({ resultUrl: resultUrl('result') });
    await sim.idle();
    expect(sim.operations.map((o) => [o.credentialValid, o.resultCode])).toEqual([
      [false, '2001'],
      [false, '2001'],
      [false, '2001'],
      [true, '0'],
    ]);
    expect(results.map((r) => r.resultCode).sort()).toEqual(['0', '2001', '2001', '2001']);
  });

  it("credentialCheck 'any' accepts any non-empty credential; a pinned certificate and key are used", async () => {
    const pinned = generateCertificate();
    const sim = await simulator({ certificate: pinned.certPem, privateKey: pinned.keyPem });
    expect(sim.certificate).toBe(pinned.certPem);
    const results = receiver.results('result');
    await clientFor(sim, { certificate: pinned.certDer }).account.balance({ resultUrl: resultUrl('result') });
    const lenient = await simulator({ credentialCheck: 'any' });
    await clientFor(lenient, {
      initiatorPassword: undefined,
      certificate: undefined,
      securityCredential: 'anything',
    }).account.balance({ resultUrl: resultUrl('result') });
    await Promise.all([sim.idle(), lenient.idle()]);
    expect(results.map((r) => r.resultCode)).toEqual(['0', '0']);
  });

  it('a PartyA the initiator does not belong to gives 21', async () => {
    const sim = await simulator();
    const results = receiver.results('result');
    await clientFor(sim, { initiatorShortcode: '600111' }).account.balance({
      resultUrl: resultUrl('result'),
    });
    await sim.idle();
    expect(results[0]).toMatchObject({
      resultCode: '21',
      resultDesc: 'The initiator is not allowed to initiate this request.',
    });
  });
});

describe('B2B and tax', () => {
  it('PayBill: string codes, ReferenceItem as an array with the bill reference, both balance forms', async () => {
    const sim = await simulator();
    const daraja = clientFor(sim, { resultUrl: resultUrl('b2b') });
    const results = receiver.results('b2b');
    const accepted = await daraja.b2b.payBill({
      payBillNumber: '888880',
      accountReference: 'ACC-2041',
      amount: 12_500,
      requester: '0712345678',
    });
    expect(accepted.responseDescription).toBe('Accept the service request successfully.');
    await sim.idle();
    const result = results[0]!;
    expect(result).toMatchObject({
      success: true,
      resultType: 0,
      resultCode: '0',
      amount: 12_500,
      currency: 'KES',
      billReferenceNumber: 'ACC-2041',
      receiver: { identifier: '888880', name: 'Simulated Business' },
      debitAccountBalance: [{ name: '', currency: 'KES', amounts: [487_500] }],
      debitPartyAffectedAccountBalance: [
        { name: 'Working Account', currency: 'KES', availableBalance: 487_500 },
      ],
    });
    expect(result.completedAt).toBeInstanceOf(Date);
    const wire = (receiver.received[0]!.body as { Result: Record<string, unknown> }).Result;
    expect(wire['ResultType']).toBe('0');
    expect(wire['ResultCode']).toBe('0');
    expect(Array.isArray((wire['ReferenceData'] as { ReferenceItem: unknown }).ReferenceItem)).toBe(true);
    expect(sim.requests.at(-1)).toMatchObject({ operation: 'b2b.payBill', status: 200 });
  });

  it('Buy Goods and tax remittance are told apart in the logs, and tax pays KRA', async () => {
    const sim = await simulator();
    const daraja = clientFor(sim, { resultUrl: resultUrl('b2b') });
    const results = receiver.results('b2b');
    await daraja.b2b.buyGoods({ tillNumber: '5201234', amount: 3000 });
    await daraja.tax.remit({ amount: 4200, paymentRegistrationNumber: '2024KRA0001234' });
    await sim.idle();
    expect(sim.requests.filter((r) => r.operation !== 'oauth').map((r) => r.operation)).toEqual([
      'b2b.buyGoods',
      'tax.remit',
    ]);
    expect(sim.operations.map((o) => [o.operation, o.commandId, o.partyB])).toEqual([
      ['b2b.buyGoods', 'BusinessBuyGoods', '5201234'],
      ['tax.remit', 'PayTaxToKRA', '572572'],
    ]);
    const tax = results.find((r) => r.billReferenceNumber === '2024KRA0001234')!;
    expect(tax.receiver).toMatchObject({ identifier: '572572', name: 'Kenya Revenue Authority' });
    expect(results.find((r) => r.billReferenceNumber === undefined)).toMatchObject({ amount: 3000 });
  });

  it('B2C Account Top Up: BusinessPayToBulk on the payment path moves working-account money into the B2C utility account', async () => {
    const sim = await simulator();
    const daraja = clientFor(sim, { resultUrl: resultUrl('b2b') });
    const results = receiver.results('b2b');
    const balances = receiver.results('accountBalance');
    // The B2C shortcode loads its own utility account from its working account, so one balance query
    // shows both sides.
    const accepted = await daraja.b2b.topUp({
      b2cShortcode: B2C_SHORTCODE,
      amount: 50_000,
      accountReference: 'FLOAT-11',
    });
    expect(accepted.originatorConversationId).not.toBe('');
    await sim.idle();
    expect(results[0]).toMatchObject({
      success: true,
      resultCode: '0',
      originatorConversationId: accepted.originatorConversationId,
      amount: 50_000,
      billReferenceNumber: 'FLOAT-11',
      debitAccountBalance: [{ currency: 'KES', amounts: [450_000] }],
    });
    expect(sim.operations.at(-1)).toMatchObject({ operation: 'b2b.topUp', commandId: 'BusinessPayToBulk' });
    expect(sim.requests.at(-1)).toMatchObject({ operation: 'b2b.topUp', status: 200 });
    await daraja.account.balance({ resultUrl: resultUrl('accountBalance') });
    await sim.idle();
    const after = Object.fromEntries(balances[0]!.accounts.map((a) => [a.name, a.availableBalance]));
    expect(after).toMatchObject({ 'Working Account': 450_000, 'Utility Account': 1_050_000 });
  });

  it('B2C Account Top Up takes only shortcodes ("4") on both sides; sent raw with "2", it is refused', async () => {
    const sim = await simulator();
    const body = {
      Initiator: INITIATOR_NAME,
      SecurityCredential: encryptSecurityCredential(INITIATOR_PASSWORD, sim.certificate),
      CommandID: 'BusinessPayToBulk',
      SenderIdentifierType: '4',
      RecieverIdentifierType: '2',
      Amount: '100',
      PartyA: B2C_SHORTCODE,
      PartyB: '600000',
      Remarks: 'OK',
      QueueTimeOutURL: resultUrl('queueTimeout'),
      ResultURL: resultUrl('b2b'),
    };
    const refused = await rawPost(sim, '/mpesa/b2b/v1/paymentrequest', body);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({
      errorMessage: expect.stringMatching(/RecieverIdentifierType/),
    });
    const ok = await rawPost(sim, '/mpesa/b2b/v1/paymentrequest', { ...body, RecieverIdentifierType: '4' });
    expect(ok.status).toBe(200);
    expect(sim.operations.map((o) => o.operation)).toEqual(['b2b.topUp']);
  });

  it('more than the working account holds: result 1', async () => {
    const sim = await simulator();
    const results = receiver.results('b2b');
    await clientFor(sim, { resultUrl: resultUrl('b2b') }).b2b.payBill({
      payBillNumber: '888880',
      accountReference: 'BIG',
      amount: 600_000,
    });
    await sim.idle();
    expect(results[0]).toMatchObject({ success: false, resultCode: '1', amount: undefined });
  });
});

describe('transaction status', () => {
  it('finds a B2C payment by receipt and by its OriginatorConversationID, and an STK payment', async () => {
    const sim = await simulator();
    const daraja = clientFor(sim, {
      resultUrl: resultUrl('transactionStatus'),
      callbackUrl: receiver.url('/stk'),
    });
    const statuses = receiver.results('transactionStatus');
    await daraja.b2c.pay({
      phoneNumber: '0712345678',
      amount: 300,
      originatorConversationId: 'status-1',
      resultUrl: resultUrl('result'),
    });
    const { checkoutRequestId } = await daraja.stk.push({
      phoneNumber: '0712345678',
      amount: 50,
      accountReference: 'INV-9',
    });
    await sim.idle();
    const b2c = sim.ledger.find((e) => e.kind === 'b2c')!;
    const stk = sim.transaction(checkoutRequestId)!;
    // One at a time: results race each other to the receiver.
    await daraja.transactions.status({ transactionId: b2c.receipt, occasion: 'Audit' });
    await sim.idle();
    await daraja.transactions.status({ originalConversationId: 'status-1' });
    await sim.idle();
    await daraja.transactions.status({ transactionId: stk.receiptNumber! });
    await sim.idle();

    expect(statuses).toHaveLength(3);
    for (const status of statuses.slice(0, 2)) {
      expect(status).toMatchObject({
        success: true,
        transactionStatus: 'Completed',
        receiptNumber: b2c.receipt,
        amount: 300,
        reasonType: 'Business Payment to Customer via API',
        debitAccountType: 'Utility Account',
        debitParties: [{ identifier: B2C_SHORTCODE, name: 'Daraja Simulator' }],
        creditParties: [{ identifier: '254712345678', phoneNumber: '254712345678' }],
        transactionOriginatorConversationId: 'status-1',
        transactionReason: undefined,
      });
      expect(status.finalisedAt).toBeInstanceOf(Date);
    }
    expect(statuses[0]!.referenceData).toEqual([{ key: 'Occasion', value: 'Audit' }]);
    expect(statuses[1]!.referenceData).toEqual([{ key: 'Occasion', value: undefined }]);
    expect(statuses[2]).toMatchObject({
      receiptNumber: stk.receiptNumber,
      amount: 50,
      reasonType: 'Pay Bill Online',
      debitParties: [{ phoneNumber: '254712345678' }],
    });
  });

  it('an unknown transaction: the result says R000002, the receipt does not exist', async () => {
    const sim = await simulator();
    const statuses = receiver.results('transactionStatus');
    await clientFor(sim, { resultUrl: resultUrl('transactionStatus') }).transactions.status({
      transactionId: 'NEF61H8J60',
    });
    await sim.idle();
    expect(statuses[0]).toMatchObject({
      success: false,
      resultCode: 'R000002',
      resultDesc: 'The transaction receipt number does not exist.',
      transactionStatus: undefined,
    });
  });
});

describe('account balance', () => {
  it('answers the balance string, parsed into accounts that reflect the payments made', async () => {
    const sim = await simulator();
    const daraja = clientFor(sim, { resultUrl: resultUrl('accountBalance') });
    const balances = receiver.results('accountBalance');
    const accepted = await daraja.account.balance();
    expect(accepted.responseDescription).toBe('Accept the service request successfully');
    await daraja.b2c.pay({ phoneNumber: '0712345678', amount: 2500, resultUrl: resultUrl('result') });
    await sim.idle();
    await daraja.account.balance();
    await sim.idle();
    expect(balances).toHaveLength(2);
    expect(balances[0]!.accounts.map((a) => [a.name, a.currency, a.availableBalance])).toEqual([
      ['Working Account', 'KES', 500_000],
      ['Float Account', 'KES', 0],
      ['Utility Account', 'KES', 1_000_000],
      ['Charges Paid Account', 'KES', 0],
      ['Organization Settlement Account', 'KES', 0],
    ]);
    expect(balances[1]!.accounts.find((a) => a.name === 'Utility Account')!.availableBalance).toBe(997_500);
    expect(balances[0]).toMatchObject({ success: true, resultCode: '0', resultType: 0 });
    expect(balances[0]!.completedAt).toBeInstanceOf(Date);
    const wire = (receiver.received[0]!.body as { Result: Record<string, unknown> }).Result;
    expect([wire['ResultType'], wire['ResultCode']]).toEqual(['0', '0']);
  });

  it('a failure carries ResultParameter as a single object, which parses', async () => {
    const sim = await simulator();
    const balances = receiver.results('accountBalance');
    sim.nextResult('initiator-invalid');
    await clientFor(sim, { resultUrl: resultUrl('accountBalance') }).account.balance();
    await sim.idle();
    const wire = (
      receiver.received[0]!.body as { Result: { ResultParameters: { ResultParameter: unknown } } }
    ).Result;
    expect(wire.ResultParameters.ResultParameter).toEqual({
      Key: 'BOCompletedTime',
      Value: expect.any(Number),
    });
    expect(balances[0]).toMatchObject({ success: false, resultCode: '2001', accounts: [] });
    expect(balances[0]!.completedAt).toBeInstanceOf(Date);
  });
});

describe('reversal', () => {
  it('reverses a payment once: then R000001 already reversed; an unknown receipt is R000002', async () => {
    const sim = await simulator();
    const daraja = clientFor(sim, { resultUrl: resultUrl('reversal') });
    const reversals = receiver.results('reversal');
    await daraja.b2c.pay({ phoneNumber: '0712345678', amount: 200, resultUrl: resultUrl('result') });
    await sim.idle();
    const paid = sim.ledger[0]!;
    await daraja.reversal.reverse({ transactionId: paid.receipt, amount: 200 });
    await sim.idle();
    await daraja.reversal.reverse({ transactionId: paid.receipt, amount: 200 });
    await sim.idle();
    await daraja.reversal.reverse({ transactionId: 'PDU91HIVIT', amount: 200 });
    await sim.idle();

    expect(reversals.map((r) => [r.resultCode, r.success])).toEqual([
      ['0', true],
      ['R000001', false],
      ['R000002', false],
    ]);
    expect(reversals[0]).toMatchObject({
      amount: 200,
      charge: 0,
      originalTransactionId: paid.receipt,
      creditParty: { identifier: B2C_SHORTCODE },
      debitParty: { identifier: '254712345678' },
      debitAccountBalance: [{ name: 'Utility Account', availableBalance: 1_000_000 }],
    });
    expect(reversals[0]!.completedAt).toBeInstanceOf(Date);
    expect(reversals[1]!.meaning).toBe('The transaction was already reversed.');
    expect(reversals[2]).toMatchObject({
      resultDesc: 'The OriginalTransactionID is invalid.',
      meaning: expect.stringMatching(/^The OriginalTransactionID is invalid/),
    });
    const wire = receiver.received.map(
      (r) => (r.body as { Result: { ResultCode: unknown } }).Result.ResultCode,
    );
    expect(wire.slice(-3)).toEqual([0, 'R000001', 'R000002']);
    expect(sim.ledger.map((e) => [e.kind, e.reversedBy !== undefined])).toEqual([
      ['b2c', true],
      ['reversal', false],
    ]);
  });
});

describe('dynamic QR', () => {
  it('answers at once with a base64 PNG of the requested size, in Daraja shape', async () => {
    const sim = await simulator();
    const qr = await clientFor(sim).qr.generate({
      merchantName: 'TEST SUPERMARKET',
      refNo: 'Invoice Test',
      amount: 1,
      trxCode: 'BG',
      creditPartyIdentifier: '373132',
      size: 300,
    });
    expect(qr).toMatchObject({
      responseCode: expect.stringMatching(/^AG_\d{8}_/),
      requestId: expect.stringMatching(/^\d+-\d+-\d$/),
      responseDescription: 'QR Code Successfully Generated.',
    });
    const png = Buffer.from(qr.qrCode, 'base64');
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([300, 300]);
    expect(sim.requests.at(-1)).toMatchObject({ operation: 'qr.generate', status: 200 });
  });
});

describe('outcome rules', () => {
  // Each rule end to end, on B2C by the phone number's last two digits.
  const expectations: Record<string, { code: string | undefined; copies: number; url: string }> = {
    'queue-timeout': { code: undefined, copies: 1, url: '/queueTimeout/result' },
    'insufficient-funds': { code: '1', copies: 1, url: '/b2c/result' },
    'initiator-invalid': { code: '2001', copies: 1, url: '/b2c/result' },
    'no-callback': { code: '0', copies: 0, url: '/b2c/result' },
    'duplicate-callback': { code: '0', copies: 2, url: '/b2c/result' },
    'late-callback': { code: '0', copies: 1, url: '/b2c/result' },
    'unregistered-customer': { code: '2040', copies: 1, url: '/b2c/result' },
  };

  it.each(RESULT_OUTCOME_RULES.map((r) => [r.suffix, r.outcome] as const))(
    'B2C to a number ending in %s: %s',
    async (suffix, outcome) => {
      const sim = await simulator();
      const daraja = clientFor(sim, { resultUrl: resultUrl('b2c') });
      const results = receiver.results('b2c');
      const timeouts = receiver.results('queueTimeout');
      const expected = expectations[outcome]!;
      const accepted = await daraja.b2c.pay({ phoneNumber: `07123456${suffix}`, amount: 100 });
      await sim.idle();
      const operation = sim.operation(accepted.originatorConversationId)!;
      expect(operation.outcome?.result).toBe(
        ['insufficient-funds', 'initiator-invalid', 'unregistered-customer'].includes(outcome)
          ? outcome
          : 'success',
      );
      expect(operation.resultCode).toBe(expected.code);
      const arrived = receiver.received.filter((r) => r.path === expected.url);
      expect(arrived).toHaveLength(expected.copies);
      if (outcome === 'queue-timeout') {
        expect(operation.status).toBe('queue-timeout');
        expect(timeouts).toEqual([
          expect.objectContaining({
            originatorConversationId: accepted.originatorConversationId,
            conversationId: accepted.conversationId,
            resultCode: '26',
          }),
        ]);
        expect(sim.ledger).toEqual([]);
      } else {
        expect(results.map((r) => r.resultCode)).toEqual(new Array(expected.copies).fill(expected.code));
        expect(sim.ledger).toHaveLength(expected.code === '0' ? 1 : 0);
      }
      if (outcome === 'late-callback') {
        const [record] = sim.callbacks;
        expect(record!.time.getTime() - operation.decidedAt!.getTime()).toBeGreaterThanOrEqual(190);
      }
    },
  );

  it('B2B, tax and reversal follow the amount (100 or more), balance and status need nextResult', async () => {
    expect([
      resultOutcomeFor(1003),
      resultOutcomeFor(1500),
      resultOutcomeFor(3),
      resultOutcomeFor('254712345608'),
    ]).toEqual(['insufficient-funds', 'success', 'success', 'unregistered-customer']);
    const sim = await simulator();
    const daraja = clientFor(sim);
    const results = receiver.results('result');
    await daraja.b2b.payBill({ payBillNumber: '888880', accountReference: 'A', amount: 1003 });
    await daraja.tax.remit({ amount: 204, paymentRegistrationNumber: 'PRN-1' });
    await daraja.b2b.buyGoods({ tillNumber: '5201234', amount: 1008 }); // 08: B2C only, so success
    await daraja.b2b.buyGoods({ tillNumber: '5201234', amount: 3 }); // under 100: success
    await daraja.account.balance();
    await sim.idle();
    expect(sim.operations.map((o) => [o.operation, o.resultCode])).toEqual([
      ['b2b.payBill', '1'],
      ['tax.remit', '2001'],
      ['b2b.buyGoods', '0'],
      ['b2b.buyGoods', '0'],
      ['account.balance', '0'],
    ]);
    expect(results).toHaveLength(5);
  });

  it('nextResult queues outcomes in order, whatever the number; resultRule replaces the rule', async () => {
    const sim = await simulator();
    const daraja = clientFor(sim);
    const results = receiver.results('result');
    sim.nextResult({ result: { resultCode: 2028 }, delivery: 'duplicate' }, 'insufficient-funds');
    await daraja.b2c.pay({ phoneNumber: '0712345678', amount: 10 });
    await daraja.account.balance();
    await daraja.b2c.pay({ phoneNumber: '0712345678', amount: 10 });
    await sim.idle();
    expect(sim.operations.map((o) => [o.operation, o.resultCode, o.outcome?.delivery])).toEqual([
      ['b2c.pay', '2028', 'duplicate'],
      ['account.balance', '1', 'once'],
      ['b2c.pay', '0', 'once'],
    ]);
    expect(results.map((r) => r.resultCode).sort()).toEqual(['0', '1', '2028', '2028']);
    expect(results.find((r) => r.resultCode === '2028')!.resultDesc).toMatch(
      /^Not permitted by product assignment/,
    );
    expect(() => sim.nextResult('nonsense' as never)).toThrow(TypeError);

    const ruled = await simulator({
      resultRule: (op) => (op.amount === 77 ? 'initiator-invalid' : 'success'),
    });
    const ruledClient = clientFor(ruled);
    await ruledClient.b2c.pay({ phoneNumber: '0712345603', amount: 78 });
    await ruledClient.b2c.pay({ phoneNumber: '0712345678', amount: 77 });
    await ruled.idle();
    expect(ruled.operations.map((o) => o.resultCode)).toEqual(['0', '2001']);
  });

  it('manual mode holds results until resolveResult; the mode is shared with STK', async () => {
    const sim = await simulator({ mode: 'manual' });
    const daraja = clientFor(sim, { resultUrl: resultUrl('b2c') });
    const results = receiver.results('b2c');
    const accepted = await daraja.b2c.pay({ phoneNumber: '0712345678', amount: 10 });
    await sim.idle();
    expect(results).toHaveLength(0);
    expect(sim.operation(accepted.conversationId)).toMatchObject({ status: 'pending', outcome: undefined });
    sim.resolveResult(accepted.originatorConversationId, { result: 'insufficient-funds', delivery: 'late' });
    expect(() => sim.resolveResult(accepted.originatorConversationId)).toThrow(/already processed/);
    expect(() => sim.resolveResult('no-such-id')).toThrow(/no initiator request/);
    await sim.idle();
    expect(results.map((r) => r.resultCode)).toEqual(['1']);

    sim.mode = 'auto';
    sim.nextResult('manual');
    const held = await daraja.b2c.pay({ phoneNumber: '0712345678', amount: 10 });
    await sim.idle();
    expect(sim.operation(held.originatorConversationId)!.status).toBe('pending');
    sim.resolveResult(held.conversationId);
    await sim.idle();
    expect(results.map((r) => r.resultCode)).toEqual(['1', '0']);
  });
});

describe('logs and control', () => {
  it('the request and callback logs name every operation and redact the credential', async () => {
    const sim = await simulator();
    const daraja = clientFor(sim);
    await daraja.b2c.pay({ phoneNumber: '0712345678', amount: 10 });
    await daraja.account.balance();
    await sim.idle();
    expect(sim.requests.map((r) => `${r.operation} ${r.status}`)).toEqual([
      'oauth 200',
      'b2c.pay 200',
      'account.balance 200',
    ]);
    for (const request of sim.requests.slice(1))
      expect((request.body as Record<string, unknown>)['SecurityCredential']).toBe('[redacted]');
    expect(sim.callbacks.map((c) => [c.operation, c.ok, c.url])).toEqual([
      ['b2c.pay.result', true, receiver.url('/result/result')],
      ['account.balance.result', true, receiver.url('/result/result')],
    ]);
    expect(sim.callbacks[0]!.transactionId).toBe(sim.operations[0]!.originatorConversationId);
    expect(sim.operations[0]!.body['SecurityCredential']).toBe('[redacted]');

    sim.reset();
    expect([sim.requests, sim.callbacks, sim.operations, sim.ledger]).toEqual([[], [], [], []]);
  });

  it('the control API lists and resolves operations, queues results, and gives the initiator settings', async () => {
    const sim = await simulator({ mode: 'manual' });
    const daraja = clientFor(sim);
    const results = receiver.results('result');
    const accepted = await daraja.account.balance();
    const control = (path: string, body?: unknown) =>
      fetch(`${sim.url}/simulator/${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        ...(body === undefined
          ? {}
          : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));

    expect((await control('operations')).body['operations']).toHaveLength(1);
    expect((await control(`operations/${accepted.conversationId}`)).body).toMatchObject({
      status: 'pending',
    });
    expect((await control('operations/nope')).status).toBe(404);
    expect(
      (await control(`operations/${accepted.conversationId}/resolve`, { outcome: 'bogus' })).status,
    ).toBe(400);
    expect((await control(`operations/${accepted.conversationId}/resolve`, {})).body).toMatchObject({
      status: 'completed',
    });
    expect((await control(`operations/${accepted.conversationId}/resolve`, {})).status).toBe(409);
    expect((await control('next-result', { outcomes: ['no-callback'] })).body).toEqual({ queued: 1 });
    expect((await control('next-result', { outcomes: 'x' })).status).toBe(400);
    await daraja.account.balance();
    await sim.idle();
    expect(results).toHaveLength(1);

    const info = (await control('initiator')).body;
    expect(info).toMatchObject({ initiatorName: INITIATOR_NAME, initiatorShortcode: B2C_SHORTCODE });
    expect(info['certificate']).toBe(sim.certificate);
    const viaInfo = clientFor(sim, {
      initiatorPassword: undefined,
      certificate: undefined,
      securityCredential: info['securityCredential'] as string,
    });
    sim.mode = 'auto';
    await viaInfo.account.balance();
    await sim.idle();
    expect(results.map((r) => r.resultCode)).toEqual(['0', '0']);
    expect((await control('ledger')).body).toEqual({ transactions: [] });
    expect((await control('delay-responses', { delayMs: -1 })).status).toBe(400);
  });

  it('validates its new options in one SimulatorConfigError', async () => {
    await expect(
      createSimulator({
        initiatorShortcode: '12',
        credentialCheck: 'sometimes' as never,
        certificate: 'x',
        resultRule: 5 as never,
        initiatorPassword: '',
      }),
    ).rejects.toMatchObject({
      name: 'SimulatorConfigError',
      issues: expect.arrayContaining([
        expect.objectContaining({ field: 'initiatorShortcode' }),
        expect.objectContaining({ field: 'credentialCheck' }),
        expect.objectContaining({ field: 'privateKey' }),
        expect.objectContaining({ field: 'resultRule' }),
        expect.objectContaining({ field: 'initiatorPassword' }),
      ]),
    });
    const other = generateCertificate();
    const mismatched = generateCertificate();
    await expect(
      createSimulator({ certificate: other.certPem, privateKey: mismatched.keyPem }),
    ).rejects.toThrow(/privateKey is not the RSA key of certificate/);
  });
});
