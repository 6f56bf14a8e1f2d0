/**
 * @internal
 * Bytes, text and base64 with web standards only (`TextEncoder`, `TextDecoder`, `btoa`, `atob`), so the main
 * entry runs unchanged on Node, Bun, Deno, workerd and edge runtimes (no `Buffer`).
 */

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();
const DECODER_KEEP_BOM = new TextDecoder('utf-8', { ignoreBOM: true });

/** The UTF-8 bytes of `text`. */
export function utf8Bytes(text: string): Uint8Array {
  return ENCODER.encode(text);
}

/**
 * `bytes` decoded as UTF-8 (invalid sequences become U+FFFD). A leading byte-order mark is dropped, as
 * `TextDecoder` does, unless `keepBom` (then kept, as `Buffer#toString` does).
 */
export function utf8Text(bytes: Uint8Array, keepBom = false): string {
  return (keepBom ? DECODER_KEEP_BOM : DECODER).decode(bytes);
}

/** Standard base64 (with padding) of `bytes`. */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  // Chunks keep String.fromCharCode's argument count well under every engine's limit.
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Unpadded base64url of `bytes` (RFC 4648 §5), as `Buffer#toString('base64url')` writes it. */
export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}

/** The bytes of base64url (or base64) text, or `undefined` when it is not base64. */
export function fromBase64Url(text: string): Uint8Array | undefined {
  const standard = text.replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(standard) || standard.replace(/=+$/, '').length % 4 === 1)
    return undefined;
  const padded = standard
    .replace(/=+$/, '')
    .padEnd(Math.ceil(standard.replace(/=+$/, '').length / 4) * 4, '=');
  try {
    const binary = atob(padded);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  } catch {
    return undefined;
  }
}

/** Lower-case hexadecimal of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += (b < 16 ? '0' : '') + b.toString(16);
  return out;
}
