import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ipVersion } from '../../../../src/core/utils/ip.js';

describe('ipVersion (node:net isIP without node:net)', () => {
  it.each([
    ['196.201.214.200', 4],
    ['0.0.0.0', 4],
    ['255.255.255.255', 4],
    ['::', 6],
    ['::1', 6],
    ['1::', 6],
    ['2001:db8::8a2e:370:7334', 6],
    ['2001:0db8:0000:0000:0000:8a2e:0370:7334', 6],
    ['2001:db8:0:0:1::1', 6],
    ['::ffff:196.201.214.200', 6],
    ['::ffff:c4c9:d6c8', 6],
    ['0:0:0:0:0:ffff:1.2.3.4', 6],
    ['64:ff9b::1.2.3.4', 6],
    ['fe80::1%eth0', 6],
    ['FE80::ABCD', 6],
    ['1.2.3', 0],
    ['1.2.3.4.5', 0],
    ['256.1.1.1', 0],
    ['01.2.3.4', 0],
    ['1.2.3.-4', 0],
    [' 1.2.3.4', 0],
    ['1:2:3:4:5:6:7:8:9', 0],
    ['1:2:3:4:5:6:7', 0],
    ['1::2::3', 0],
    [':::', 0],
    ['12345::', 0],
    ['g::1', 0],
    ['::ffff:256.1.1.1', 0],
    ['::1.2.3', 0],
    ['1:2:3:4:5:6:7:1.2.3.4', 0],
    ['fe80::1%', 0],
    ['', 0],
    ['localhost', 0],
  ])('%j is %d, as node:net says', (text, version) => {
    expect(ipVersion(text)).toBe(version);
    expect(isIP(text)).toBe(version);
  });

  it('agrees with node:net for random IPv4 and IPv6 addresses and their compressed forms', () => {
    const v6 = fc.ipV6();
    fc.assert(
      fc.property(
        fc.oneof(
          fc.ipV4(),
          fc.ipV4Extended(),
          v6,
          v6.map((a) => a.toUpperCase()),
        ),
        (address) => {
          expect(ipVersion(address)).toBe(isIP(address));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('agrees with node:net for random strings of address characters', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-f:.]{0,20}$/), (text) => {
        expect(ipVersion(text)).toBe(isIP(text));
      }),
      { numRuns: 1000 },
    );
  });
});
