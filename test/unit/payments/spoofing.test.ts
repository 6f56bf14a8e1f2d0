import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type CallbackRequest, MemoryPaymentStore } from '../../../src/index.js';
import { buildStkCallback } from '../../../src/testing/index.js';
import { CALLBACK_SECRET, SAFARICOM_IP } from '../../fixtures/constants.js';
import { useMsw } from '../../helpers/fake-daraja.js';
import { callbackFor, initiateParams, makeFlow, scriptedDaraja } from '../../helpers/flow.js';

const daraja = scriptedDaraja();
useMsw(...daraja.handlers);

async function setup(overrides: Parameters<typeof makeFlow>[0] = {}) {
  const f = makeFlow({ store: new MemoryPaymentStore(), ...overrides });
  const { payment } = await f.flow.initiate(initiateParams);
  const other = (await f.flow.initiate({ ...initiateParams, ownerId: 'user-2' })).payment;
  return { ...f, payment, other };
}

/** Send a spoofed callback and check that it changed nothing and was kept with `reason`. */
async function expectRejected(
  f: Awaited<ReturnType<typeof setup>>,
  request: CallbackRequest,
  outcome: string,
  reason: string,
) {
  const before = await f.store.get(f.payment.id);
  const ack = await f.flow.handleCallback(request);
  expect(ack).toMatchObject({
    status: 200,
    body: { ResultCode: 0, ResultDesc: 'Accepted' },
    outcome,
    reason,
  });
  expect(await f.store.get(f.payment.id)).toEqual(before);
  expect(f.fulfilled).toEqual([]);
  const events = await f.store.listCallbacks();
  expect(events.at(-1)).toMatchObject({ outcome, reason });
  const text = JSON.stringify(request.body);
  expect(events.at(-1)).toMatchObject({
    bodyBytes: Buffer.byteLength(text),
    bodySha256: createHash('sha256').update(text).digest('hex'),
  });
  if (UNAUTHENTICATED.includes(reason)) {
    // Rejected before authentication: size, hash and reason only, so a flood cannot fill the disk.
    expect(events.at(-1)?.body).toBeNull();
    expect(events.at(-1)?.paymentId).toBeNull();
  } else {
    expect(events.at(-1)?.body).toEqual(JSON.parse(text));
  }
  // The real callback still works afterwards.
  const genuine = await f.flow.handleCallback(callbackFor(f.flow, f.payment));
  expect(genuine.outcome).toBe('applied');
  await genuine.afterAck;
  expect(f.fulfilled).toHaveLength(1);
}

const UNAUTHENTICATED = ['bad_token', 'missing_token'];

describe('spoofed callbacks activate nothing and are kept with a reason', () => {
  it('a wrong URL token', async () => {
    const f = await setup();
    const r = callbackFor(f.flow, f.payment);
    await expectRejected(
      f,
      { ...r, url: r.url.replace(/token=[^&]+/, 'token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA') },
      'rejected',
      'bad_token',
    );
  });

  it('a token of another payment', async () => {
    const f = await setup();
    const otherToken = new URL(f.flow.callbackUrlFor(f.other.id)).searchParams.get('token')!;
    const r = callbackFor(f.flow, f.payment);
    await expectRejected(
      f,
      { ...r, url: r.url.replace(/token=[^&]+/, `token=${otherToken}`) },
      'rejected',
      'bad_token',
    );
  });

  it.each([
    ['no token', (u: string) => u.replace(/&?token=[^&]+/, '')],
    ['no query at all', (u: string) => u.split('?')[0]!],
    ['a short token', (u: string) => u.replace(/token=[^&]+/, 'token=abc')],
    // The right token's bytes written another way: it decodes to the same digest, yet is not the token.
    ['the right token and one more character', (u: string) => u.replace(/token=([^&]+)/, 'token=$1A')],
    ['the right token in base64 with padding', (u: string) => u.replace(/token=([^&]+)/, 'token=$1%3D')],
    ['a token of 32 zero bytes', (u: string) => u.replace(/token=[^&]+/, `token=${'A'.repeat(43)}`)],
  ])('a URL with %s', async (_n, edit) => {
    const f = await setup();
    const r = callbackFor(f.flow, f.payment);
    const url = edit(r.url);
    await expectRejected(
      f,
      { ...r, url },
      'rejected',
      url.includes('token=') ? 'bad_token' : 'missing_token',
    );
  });

  it('an address outside the allow-list (valid token: rejected, body kept for a human)', async () => {
    const f = await setup();
    await expectRejected(
      f,
      { ...callbackFor(f.flow, f.payment), remoteAddress: '203.0.113.9' },
      'rejected',
      'ip_not_allowed',
    );
  });

  it('no address at all', async () => {
    const f = await setup();
    await expectRejected(
      f,
      { ...callbackFor(f.flow, f.payment), remoteAddress: undefined as never },
      'rejected',
      'ip_unknown',
    );
  });

  it('a forged X-Forwarded-For from an untrusted socket', async () => {
    const f = await setup({ trustedProxies: ['10.0.0.0/8'] });
    const r = callbackFor(f.flow, f.payment);
    await expectRejected(
      f,
      { ...r, remoteAddress: '203.0.113.9', headers: { 'X-Forwarded-For': SAFARICOM_IP } },
      'rejected',
      'ip_not_allowed',
    );
  });

  it('a forged leftmost X-Forwarded-For behind a trusted proxy', async () => {
    const f = await setup({ trustedProxies: ['10.0.0.0/8'] });
    const r = callbackFor(f.flow, f.payment);
    // The attacker wrote the Safaricom address; the proxy appended the attacker's real one.
    await expectRejected(
      f,
      {
        ...r,
        remoteAddress: '::ffff:10.1.2.3',
        headers: { 'x-forwarded-for': `${SAFARICOM_IP}, 203.0.113.9` },
      },
      'rejected',
      'ip_not_allowed',
    );
  });

  it('an unknown CheckoutRequestID', async () => {
    const f = await setup();
    await expectRejected(
      f,
      callbackFor(f.flow, f.payment, { checkoutRequestId: 'ws_CO_NOTOURS00001' }),
      'rejected',
      'checkout_request_id_mismatch',
    );
  });

  it('an unknown CheckoutRequestID when tokens are off', async () => {
    const f = await setup({ verifyCallbackToken: false, callbackSecret: undefined });
    await expectRejected(
      f,
      callbackFor(f.flow, f.payment, { checkoutRequestId: 'ws_CO_NOTOURS00001' }),
      'unmatched',
      'unknown_checkout_request_id',
    );
  });

  it('an amount mismatch', async () => {
    const f = await setup();
    await expectRejected(f, callbackFor(f.flow, f.payment, { amount: 1 }), 'rejected', 'amount_mismatch');
  });

  it('a phone mismatch, full or masked', async () => {
    const f = await setup();
    await expectRejected(
      f,
      callbackFor(f.flow, f.payment, { phoneNumber: 254799999999 }),
      'rejected',
      'phone_mismatch',
    );
    const g = await setup();
    await expectRejected(
      g,
      callbackFor(g.flow, g.payment, { phoneNumber: '2547****9999' }),
      'rejected',
      'phone_mismatch',
    );
  });

  it('a receipt already used by another payment', async () => {
    const f = await setup();
    await f.flow.handleCallback(callbackFor(f.flow, f.other, { mpesaReceiptNumber: 'SAMERCPT01' }));
    f.fulfilled.length = 0;
    await expectRejected(
      f,
      callbackFor(f.flow, f.payment, { mpesaReceiptNumber: 'SAMERCPT01' }),
      'rejected',
      'duplicate_receipt',
    );
  });

  it('a token honoured from a trusted proxy with the real Safaricom address is accepted', async () => {
    const f = await setup({ trustedProxies: ['10.0.0.0/8'] });
    const r = callbackFor(f.flow, f.payment);
    const ack = await f.flow.handleCallback({
      ...r,
      remoteAddress: '10.0.0.7',
      headers: { 'x-forwarded-for': `198.51.100.1, ${SAFARICOM_IP}` },
    });
    expect(ack.outcome).toBe('applied');
  });

  it.each([
    ['masked', '2547****5678'],
    ['masked with spaces', '2547 ***** 678'],
    ['masked local form', '0712***678'],
    ['hashed', createHash('sha256').update('254712345678').digest('hex')],
    ['full, international 00 prefix', '00254712345678'],
    ['full, +254', '+254712345678'],
  ])('a matching %s phone number is accepted', async (_n, phone) => {
    const f = await setup();
    const r = callbackFor(f.flow, f.payment);
    const body = buildStkCallback({
      checkoutRequestId: f.payment.checkoutRequestId!,
      amount: 500,
      phoneNumber: phone,
    });
    expect((await f.flow.handleCallback({ ...r, body })).outcome).toBe('applied');
  });

  const withPhone = (f: Awaited<ReturnType<typeof setup>>, phone: string | undefined, receipt: string) => {
    const body = buildStkCallback({
      checkoutRequestId: f.payment.checkoutRequestId!,
      amount: 500,
      phoneNumber: phone ?? 'x',
      mpesaReceiptNumber: receipt,
    });
    if (phone === undefined) {
      const items = (
        body as { Body: { stkCallback: { CallbackMetadata: { Item: Array<{ Name: string }> } } } }
      ).Body.stkCallback.CallbackMetadata.Item;
      items.splice(
        items.findIndex((i) => i.Name === 'PhoneNumber'),
        1,
      );
    }
    return { ...callbackFor(f.flow, f.payment), body };
  };

  it.each([
    ['"*"', '*'],
    ['"2547*"', '2547*'],
    ['masked to two digits', '2******8'],
    ['an unknown hash', 'ab'.repeat(32)],
    ['absent', undefined],
  ])(
    'a phone number that proves nothing (%s) is not a match: confirmed by STK query first',
    async (_n, phone) => {
      const f = await setup();
      const id = f.payment.checkoutRequestId!;
      daraja.state.answers.set(id, 'pending');
      const queries = daraja.state.queryBodies.length;
      const first = await f.flow.handleCallback(withPhone(f, phone, 'UNVERIFD01'));
      expect(first).toMatchObject({ status: 200, outcome: 'unconfirmed', reason: 'phone_unverifiable' });
      await first.afterAck;
      expect(daraja.state.queryBodies.length).toBe(queries + 1);
      expect((await f.store.get(f.payment.id))?.status).toBe('pending');
      expect(f.fulfilled).toEqual([]);
      // Daraja confirms: the next status check settles it, with the receipt of the callback kept earlier.
      daraja.state.answers.set(id, 0);
      const settled = await f.flow.checkStatus(f.payment.id, { ownerId: 'user-1' });
      expect(settled).toMatchObject({
        status: 'completed',
        mpesaReceiptNumber: 'UNVERIFD01',
        settledBy: 'query',
      });
      expect(f.fulfilled).toHaveLength(1);
    },
  );

  it('a phone number that proves nothing is rejected with unverifiablePhone: "reject", accepted with "accept"', async () => {
    const f = await setup({ unverifiablePhone: 'reject' });
    await expectRejected(f, withPhone(f, '*', 'UNVERIFD02'), 'rejected', 'phone_unverifiable');
    const g = await setup({ unverifiablePhone: 'accept' });
    expect((await g.flow.handleCallback(withPhone(g, undefined, 'UNVERIFD03'))).outcome).toBe('applied');
  });
});

describe('callback tokens: rotation and binding to one payment', () => {
  const OLD_SECRET = 'old-callback-secret-0123456789abcdefXYZ';

  it('accepts a URL signed with the previous secret during a rotation ([new, old])', async () => {
    // Payments started before the rotation carry URLs signed with the old secret.
    const before = makeFlow({ store: new MemoryPaymentStore(), callbackSecret: OLD_SECRET });
    const { payment } = await before.flow.initiate(initiateParams);
    const oldUrl = callbackFor(before.flow, payment);
    // After the rotation the app signs with the new secret and still accepts the old one.
    const after = makeFlow({ store: before.store, callbackSecret: [CALLBACK_SECRET, OLD_SECRET] });
    expect(after.flow.callbackUrlFor(payment.id)).not.toBe(before.flow.callbackUrlFor(payment.id));
    const ack = await after.flow.handleCallback(oldUrl);
    expect(ack).toMatchObject({ status: 200, outcome: 'applied' });
    await ack.afterAck;
    expect(after.fulfilled.map((p) => p.id)).toEqual([payment.id]);
    // New URLs verify too; a secret no longer listed does not.
    const next = (await after.flow.initiate(initiateParams)).payment;
    expect((await after.flow.handleCallback(callbackFor(after.flow, next))).outcome).toBe('applied');
    const retired = makeFlow({ store: before.store, callbackSecret: [CALLBACK_SECRET] });
    const third = (await before.flow.initiate(initiateParams)).payment;
    expect(await retired.flow.handleCallback(callbackFor(before.flow, third))).toMatchObject({
      outcome: 'rejected',
      reason: 'bad_token',
    });
  });

  it("never lets payment A's token settle payment B", async () => {
    const f = await setup();
    const a = f.payment;
    const b = f.other;
    const aUrl = callbackFor(f.flow, a).url;
    // 1. A's URL (payment=A, A's token) carrying B's CheckoutRequestID: A is not B.
    const crossBody = buildStkCallback({
      checkoutRequestId: b.checkoutRequestId!,
      amount: 500,
      phoneNumber: 254712345678,
    });
    expect(
      await f.flow.handleCallback({ body: crossBody, url: aUrl, remoteAddress: SAFARICOM_IP }),
    ).toMatchObject({
      outcome: 'rejected',
      reason: 'checkout_request_id_mismatch',
    });
    // 2. A's token with the payment parameter changed to B.
    const swapped = aUrl.replace(`payment=${a.id}`, `payment=${b.id}`);
    expect(
      await f.flow.handleCallback({ body: crossBody, url: swapped, remoteAddress: SAFARICOM_IP }),
    ).toMatchObject({
      outcome: 'rejected',
      reason: 'bad_token',
    });
    // 3. A whose push answer was lost (no CheckoutRequestID yet), with B's CheckoutRequestID.
    daraja.state.pushMode = 'drop';
    const lost = (await f.flow.initiate(initiateParams).finally(() => (daraja.state.pushMode = 'ok')))
      .payment;
    expect(lost.checkoutRequestId).toBeNull();
    const lostUrl = callbackFor(f.flow, lost).url;
    expect(
      await f.flow.handleCallback({ body: crossBody, url: lostUrl, remoteAddress: SAFARICOM_IP }),
    ).toMatchObject({
      outcome: 'rejected',
      reason: 'duplicate_checkout',
    });
    for (const p of [a, b, lost]) expect((await f.store.get(p.id))?.status).toBe('pending');
    expect(f.fulfilled).toEqual([]);
  });
});
