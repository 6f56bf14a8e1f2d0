import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import * as ids from './ids.js';
import type { TokenStore } from './oauth.js';
import { ok, post, type SimulatorRoute } from './routes.js';
import { checks, type FieldRule, numberOf, readFields, textOf } from './validation.js';

const QR_RULES: FieldRule[] = [
  { field: 'MerchantName', check: checks.length(1, 100) },
  { field: 'RefNo', check: checks.length(1, 100) },
  { field: 'Amount', check: checks.wholeAmount(1, 250_000) },
  { field: 'TrxCode', check: checks.oneOf(['BG', 'WA', 'PB', 'SM', 'SB']) },
  { field: 'CPI', check: checks.digits(5, 12) },
  {
    field: 'Size',
    check: (v) => {
      const n = numberOf(v);
      return n !== undefined && Number.isInteger(n) && n >= 50 && n <= 2000;
    },
  },
];

/**
 * @internal
 * `POST /mpesa/qrcode/v1/generate`: a synchronous answer in Daraja's shape (`ResponseCode` holds an
 * `AG_…` id), with a real PNG of the requested size that looks like a QR code (finder patterns and
 * modules drawn from the request) but does not scan.
 */
export function qrRoutes(tokens: TokenStore): SimulatorRoute[] {
  return [
    post('/mpesa/qrcode/v1/generate', 'qr.generate', (request) => {
      const read = readFields(request, QR_RULES, tokens.check(request.headers));
      if ('error' in read) return read.error;
      const b = read.body;
      const payload = ['MerchantName', 'RefNo', 'Amount', 'TrxCode', 'CPI']
        .map((k) => textOf(b[k]))
        .join('|');
      return ok({
        ResponseCode: ids.conversationId(new Date()),
        RequestID: ids.originatorConversationId(),
        ResponseDescription: 'QR Code Successfully Generated.',
        QRCode: qrLikePng(payload, numberOf(b['Size'])!).toString('base64'),
      });
    }),
  ];
}

const MODULES = 25; // a version-2 QR code's size
const QUIET = 4;

/** @internal A grayscale PNG, `size` pixels square, drawn like a QR code from `payload`. */
export function qrLikePng(payload: string, size: number): Buffer {
  const modules = qrLikeModules(payload);
  const scale = size / (MODULES + 2 * QUIET);
  const rows: Buffer[] = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(size + 1, 255); // filter byte 0, then white pixels
    row[0] = 0;
    const my = Math.floor(y / scale) - QUIET;
    for (let x = 0; x < size; x++) {
      const mx = Math.floor(x / scale) - QUIET;
      if (mx >= 0 && mx < MODULES && my >= 0 && my < MODULES && modules[my]![mx]) row[x + 1] = 0;
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // grayscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Three finder patterns, timing lines, and data modules from a hash of the payload. */
function qrLikeModules(payload: string): boolean[][] {
  const grid = Array.from({ length: MODULES }, () => new Array<boolean>(MODULES).fill(false));
  const reserved = Array.from({ length: MODULES }, () => new Array<boolean>(MODULES).fill(false));
  const finder = (top: number, left: number) => {
    for (let y = -1; y <= 7; y++)
      for (let x = -1; x <= 7; x++) {
        const gy = top + y;
        const gx = left + x;
        if (gy < 0 || gx < 0 || gy >= MODULES || gx >= MODULES) continue;
        const ring = Math.max(Math.abs(y - 3), Math.abs(x - 3));
        grid[gy]![gx] = ring !== 2 && ring !== 4;
        reserved[gy]![gx] = true;
      }
  };
  finder(0, 0);
  finder(0, MODULES - 7);
  finder(MODULES - 7, 0);
  for (let i = 8; i < MODULES - 8; i++) {
    grid[6]![i] = grid[i]![6] = i % 2 === 0;
    reserved[6]![i] = reserved[i]![6] = true;
  }
  let bits = Buffer.alloc(0);
  for (let round = 0; bits.length * 8 < MODULES * MODULES; round++)
    bits = Buffer.concat([bits, createHash('sha256').update(`${round}:${payload}`).digest()]);
  let i = 0;
  for (let y = 0; y < MODULES; y++)
    for (let x = 0; x < MODULES; x++, i++)
      if (!reserved[y]![x]) grid[y]![x] = ((bits[i >> 3]! >> (i & 7)) & 1) === 1;
  return grid;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])));
  return Buffer.concat([head, data, crc]);
}
