import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main as accountOperations } from '../../examples/operations/account-operations.js';
import { main as collections } from '../../examples/operations/collections.js';
import { main as payouts } from '../../examples/operations/payouts.js';

// The runnable examples of docs/collections.md, docs/payouts.md and docs/account-operations.md, against
// the simulator: each main() runs end to end and prints typed results; the documented command runs too.
const root = resolve(import.meta.dirname, '../..');

async function run(main: (print: (line: string) => void) => Promise<unknown>) {
  const lines: string[] = [];
  const summary = await main((line) => lines.push(line));
  return { lines, summary };
}

describe('examples/operations', () => {
  it('collections.ts: an STK push and its callback, a C2B payment accepted and one rejected at validation', async () => {
    const { lines, summary } = await run(collections);
    expect(lines[0]).toMatch(/^STK push accepted: ws_CO_\d+$/);
    expect(lines[1]).toMatch(/^STK callback: completed, receipt [A-Z0-9]{10}, KES 100 from 2547\*{4}5678$/);
    expect(lines).toContain('C2B URLs registered for 174379');
    expect(lines).toContain('C2B validation: INV-1001, KES 250 -> accepted');
    expect(lines.find((l) => l.startsWith('C2B confirmation:'))).toMatch(
      /^C2B confirmation: receipt [A-Z0-9]{10}, account INV-1001, KES 250, payer [0-9a-f]{8}… \(hashed.*\), your ref order-INV-1001, paybill balance KES 1000350$/,
    );
    expect(lines).toContain('C2B validation: NO-SUCH-INV, KES 99 -> rejected (C2B00012)');
    expect(lines.at(-1)).toBe('C2B payments: INV-1001 completed, NO-SUCH-INV rejected');
    expect(summary).toMatchObject({
      callback: { status: 'completed', amount: 100 },
      confirmed: { amount: 250 },
    });
  });

  it('payouts.ts: B2C with a refused retry, a failed B2C, B2B PayBill and Buy Goods, tax', async () => {
    const { lines, summary } = await run(payouts);
    expect(lines).toHaveLength(7);
    expect(lines[0]).toMatch(/^B2C accepted: payout-[0-9a-f-]{36} \(AG_\d{8}_[0-9a-f]{20}\)$/);
    expect(lines[1]).toBe(
      'B2C retry with the same id: DarajaDuplicateError (500.002.1001), already accepted; waiting for the result',
    );
    expect(lines[2]).toMatch(
      /^B2C result payout-[0-9a-f-]{36}: paid, receipt [A-Z0-9]{10}, KES 1500 to JOHN DOE \(2547\*{4}5678\), completed \d{4}-.*Z, utility account left KES 998500$/,
    );
    expect(lines[3]).toMatch(
      /^B2C result payout-[0-9a-f-]{36}: failed 1: Insufficient funds in the Utility account/,
    );
    expect(lines[4]).toMatch(
      /^B2B PayBill result: paid KES 12500 to 888880 Simulated Business \(account ACC-2041\), receipt [A-Z0-9]{10}, working account left KES 487500$/,
    );
    expect(lines[5]).toMatch(/^B2B Buy Goods result: paid KES 3000 to 5201234 Simulated Business, receipt /);
    expect(lines[6]).toMatch(
      /^Tax remittance result: paid KES 4200 to 572572 Kenya Revenue Authority \(account 2024KRA0001234\), receipt .*KES 480300$/,
    );
    // The retry reached the simulator and was refused; the payout was made once.
    expect((summary as { requests: string[] }).requests.filter((r) => r.startsWith('b2c.pay'))).toEqual([
      'b2c.pay 200',
      'b2c.pay 500',
      'b2c.pay 200',
    ]);
  });

  it('account-operations.ts: status, balance, reversal twice, QR, pull', async () => {
    const { lines } = await run(accountOperations);
    const receipt = /^C2B payment received: receipt ([A-Z0-9]{10}), KES 200, account WRONG-ACC$/.exec(
      lines[0]!,
    )?.[1];
    expect(receipt).toBeDefined();
    expect(lines[1]).toMatch(
      new RegExp(`^Status of ${receipt}: Completed, KES 200, Pay Bill Online, finalised `),
    );
    expect(lines.slice(2, 7)).toEqual([
      'Balance: Working Account: KES 500000.00 available',
      'Balance: Float Account: KES 0.00 available',
      'Balance: Utility Account: KES 1000200.00 available',
      'Balance: Charges Paid Account: KES 0.00 available',
      'Balance: Organization Settlement Account: KES 0.00 available',
    ]);
    expect(lines[7]).toMatch(
      new RegExp(`^Reversal: done, KES 200 of ${receipt} back to JOHN DOE, receipt [A-Z0-9]{10}$`),
    );
    expect(lines[8]).toBe('Second reversal: R000001: The transaction was already reversed.');
    expect(lines[9]).toBe(`Status of ${receipt} now: Reversed`);
    expect(lines[10]).toMatch(/^QR code: QR Code Successfully Generated\. 300x300 PNG, \d+ bytes$/);
    expect(lines[11]).toBe(
      `Pull: registered (1000), 1 transaction(s): ${receipt} c2b-pay-bill-debit KES 200`,
    );
  });

  it.each(['collections', 'payouts', 'account-operations'])(
    'docs/%s.md shows the example file as it is, with its run command',
    (name) => {
      const guide = readFileSync(resolve(root, `docs/${name}.md`), 'utf8');
      const code = readFileSync(resolve(root, `examples/operations/${name}.ts`), 'utf8');
      expect(guide).toContain(`\`\`\`ts\n${code.trimEnd()}\n\`\`\``);
      expect(guide).toContain(`npx tsx --tsconfig examples/tsconfig.json examples/operations/${name}.ts`);
    },
  );

  it('the documented commands run each example and exit 0', async () => {
    const runs = ['collections', 'payouts', 'account-operations'].map(
      (name) =>
        new Promise<{ name: string; code: number | null; out: string; err: string }>((done) => {
          const child = spawn(
            'npx',
            ['tsx', '--tsconfig', 'examples/tsconfig.json', `examples/operations/${name}.ts`],
            { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
          );
          let out = '';
          let err = '';
          child.stdout.on('data', (c: Buffer) => (out += c));
          child.stderr.on('data', (c: Buffer) => (err += c));
          child.on('exit', (code) => done({ name, code, out, err }));
        }),
    );
    const results = await Promise.all(runs);
    for (const { name, code, out, err } of results) {
      expect(code, `${name}: ${err}`).toBe(0);
      expect(out.trim().split('\n').length, name).toBeGreaterThanOrEqual(7);
      expect(err.replace(/npm warn .*\n/g, ''), name).toBe('');
    }
    expect(results[0]!.out).toContain('C2B validation: NO-SUCH-INV, KES 99 -> rejected (C2B00012)');
    expect(results[1]!.out).toContain('B2C retry with the same id: DarajaDuplicateError');
    expect(results[2]!.out).toContain('Second reversal: R000001');
  }, 60_000);
});
