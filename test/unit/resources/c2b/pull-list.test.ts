import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { PULL_QUERY_PAGE_SIZE, type PullTransaction } from '../../../../src/index.js';
import { SANDBOX } from '../../../fixtures/constants.js';
import { makeClient, rejection } from '../../../helpers/client.js';
import { fakeDaraja, useMsw } from '../../../helpers/fake-daraja.js';

// daraja.pull.list: every transaction of a period through pull.query pages, offset by offset, until an
// empty page (1001) or a short one.

const mock = fakeDaraja();
const server = useMsw(...mock.handlers);
const QUERY = `${SANDBOX}/pulltransactions/v1/query`;
const PERIOD = { startDate: '2020-08-04 08:36:00', endDate: '2020-08-16 10:10:00' };

const row = (i: number) => ({
  transactionId: `TX${String(i).padStart(6, '0')}`,
  trxDate: '2020-08-05T10:13:00Z',
  msisdn: '2547****5678',
  transactiontype: 'c2b-pay-bill-debit',
  billreference: `INV-${i}`,
  amount: String(10 + i),
  organizationname: 'Daraja Pay',
});

/** A pull query endpoint over `total` transactions, `pageSize` a page; records each offset asked. */
function ledger(total: number, pageSize = PULL_QUERY_PAGE_SIZE) {
  const offsets: number[] = [];
  server.use(
    http.post(QUERY, async ({ request }) => {
      const body = (await request.json()) as Record<string, string>;
      const offset = Number(body['OffSetValue']);
      offsets.push(offset);
      const rows = Array.from({ length: Math.max(0, Math.min(pageSize, total - offset)) }, (_, i) =>
        row(offset + i),
      );
      return HttpResponse.json(
        rows.length === 0
          ? { ResponseCode: '1001', ResponseMessage: 'No transactions' }
          : { ResponseRefID: 'r', ResponseCode: '1000', ResponseMessage: 'Success', Response: [rows] },
      );
    }),
  );
  return offsets;
}

async function all(iterable: AsyncIterable<PullTransaction>): Promise<PullTransaction[]> {
  const out: PullTransaction[] = [];
  for await (const tx of iterable) out.push(tx);
  return out;
}

describe('pull.list', () => {
  it('walks the pages until a short one: 250 transactions in three queries', async () => {
    const offsets = ledger(250);
    const txs = await all(makeClient().pull.list(PERIOD));
    expect(txs.map((t) => t.transactionId)).toEqual(
      Array.from({ length: 250 }, (_, i) => row(i).transactionId),
    );
    expect(txs[3]).toMatchObject({ billReference: 'INV-3', amount: 13 });
    expect(offsets).toEqual([0, 100, 200]);
  });

  it('stops on the empty page (1001) after full pages, and at once when there is nothing', async () => {
    const offsets = ledger(200);
    expect(await all(makeClient().pull.list(PERIOD))).toHaveLength(200);
    expect(offsets).toEqual([0, 100, 200]);
    const none = ledger(0);
    expect(await all(makeClient().pull.list({ ...PERIOD, offset: 0 }))).toEqual([]);
    expect(none).toEqual([0]);
  });

  it('follows pages longer than the documented size, and starts at the given offset', async () => {
    const offsets = ledger(300, 150);
    expect(await all(makeClient().pull.list({ ...PERIOD, offset: 0 }))).toHaveLength(300);
    expect(offsets).toEqual([0, 150, 300]);
    const later = ledger(250);
    const txs = await all(makeClient().pull.list({ ...PERIOD, offset: 120 }));
    expect(txs[0]!.transactionId).toBe(row(120).transactionId);
    expect(later).toEqual([120, 220]);
  });

  it('fetches a page only when the loop asks for it', async () => {
    const offsets = ledger(1_000);
    let seen = 0;
    for await (const _tx of makeClient().pull.list(PERIOD)) {
      if (++seen === 100) break;
    }
    expect(offsets).toEqual([0]);
  });

  it('validates before any request, and passes a refusal on', async () => {
    const offsets = ledger(10);
    for (const [params, field] of [
      [{ ...PERIOD, startDate: '04/08/2020' }, 'startDate'],
      [{ ...PERIOD, offset: -5 }, 'offset'],
    ] as const) {
      const error = await rejection(all(makeClient().pull.list(params)));
      expect(error).toMatchObject({ name: 'DarajaValidationError', field });
    }
    expect(offsets).toEqual([]);
    server.use(
      http.post(QUERY, () =>
        HttpResponse.json({ ResponseCode: '1002', ResponseMessage: 'Invalid shortcode' }),
      ),
    );
    const refused = await rejection(all(makeClient().pull.list(PERIOD)));
    expect(refused).toMatchObject({ name: 'DarajaApiError', errorCode: '1002' });
  });

  it('stops with an error when Daraja answers a new offset with the same page, rather than looping', async () => {
    const offsets: number[] = [];
    server.use(
      http.post(QUERY, async ({ request }) => {
        offsets.push(Number(((await request.json()) as Record<string, string>)['OffSetValue']));
        const rows = Array.from({ length: 100 }, (_, i) => row(i));
        return HttpResponse.json({ ResponseCode: '1000', ResponseMessage: 'Success', Response: [rows] });
      }),
    );
    const error = await rejection(all(makeClient().pull.list(PERIOD)));
    expect(error).toMatchObject({ name: 'DarajaApiError', operation: 'pull.query' });
    expect(error.message).toMatch(/the page it gave before/);
    expect(offsets).toEqual([0, 100]);
  });
});
