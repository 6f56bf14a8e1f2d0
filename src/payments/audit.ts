import { CALLBACK_BODY_MAX_BYTES } from '../core/limits.js';
import { toHex, utf8Bytes, utf8Text } from '../core/utils/bytes.js';
import { sha256 } from '../core/utils/sha256.js';

const AUDIT_MAX_DEPTH = 64;

/** True when `value` nests deeper than `limit` (checked without recursion). */
function deeperThan(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/** Whether JSON `text` holds fewer than `limit` brackets, so that its value cannot nest `limit` deep. */
function fewBrackets(text: string, limit: number): boolean {
  let brackets = 0;
  for (let i = text.indexOf('{'); i !== -1 && brackets < limit; i = text.indexOf('{', i + 1)) brackets++;
  for (let i = text.indexOf('['); i !== -1 && brackets < limit; i = text.indexOf('[', i + 1)) brackets++;
  return brackets < limit;
}

/** The body as text (its JSON, for a parsed body) and as the bytes it was received as. */
function textAndBytes(body: unknown): { text: string; bytes: Uint8Array } {
  if (body instanceof Uint8Array) return { text: utf8Text(body, true), bytes: body };
  let text: string;
  if (typeof body === 'string') text = body;
  else {
    try {
      text = JSON.stringify(body ?? null) ?? 'null';
    } catch {
      text = '[unserialisable body]';
    }
  }
  return { text, bytes: utf8Bytes(text) };
}

function fingerprintOf(bytes: Uint8Array): { bytes: number; sha256: string } {
  return { bytes: bytes.byteLength, sha256: toHex(sha256(bytes)) };
}

/** @internal Size (UTF-8 bytes) and SHA-256 of a body as received, to tell bodies apart without keeping them. */
export function bodyFingerprint(body: unknown): { bytes: number; sha256: string } {
  return fingerprintOf(textAndBytes(body).bytes);
}

/**
 * @internal
 * The body as it will be kept for audit (a JSON copy, or its JSON text when it is very deep or large, so
 * that any store can hold it, truncated to {@link CALLBACK_BODY_MAX_BYTES} characters), with its
 * fingerprint, serialising it once.
 */
export function auditedBody(body: unknown): {
  body: unknown;
  fingerprint: { bytes: number; sha256: string };
} {
  const { text, bytes } = textAndBytes(body);
  const fingerprint = fingerprintOf(bytes);
  const asText =
    typeof body === 'string' ||
    body instanceof Uint8Array ||
    text === '[unserialisable body]' ||
    text.length > CALLBACK_BODY_MAX_BYTES ||
    (!fewBrackets(text, AUDIT_MAX_DEPTH) && deeperThan(body, AUDIT_MAX_DEPTH));
  return {
    body: asText ? text.slice(0, CALLBACK_BODY_MAX_BYTES) : (JSON.parse(text) as unknown),
    fingerprint,
  };
}

/**
 * @internal
 * Decides which callbacks rejected before authentication get an audit row: the first per sender and
 * reason in each window, and at most `maxPerWindow` in all, so a flood costs a few rows. The rest are
 * counted and reported by the caller's log.
 */
export class RejectionSampler {
  readonly #windowMs: number;
  readonly #maxPerWindow: number;
  #windowStart = 0;
  #recorded = 0;
  readonly #seen = new Map<string, number>();

  constructor(windowMs = 60_000, maxPerWindow = 60) {
    this.#windowMs = windowMs;
    this.#maxPerWindow = maxPerWindow;
  }

  /**
   * Whether to record this rejection; when a window closes, `suppressed` counts what the last window
   * left unrecorded (for one log line).
   */
  admit(key: string, now: number): { record: boolean; suppressed: number } {
    let suppressed = 0;
    if (now - this.#windowStart >= this.#windowMs) {
      for (const n of this.#seen.values()) suppressed += n;
      this.#seen.clear();
      this.#recorded = 0;
      this.#windowStart = now;
    }
    const count = this.#seen.get(key);
    if (count === undefined && this.#recorded < this.#maxPerWindow && this.#seen.size < 10_000) {
      this.#seen.set(key, 0);
      this.#recorded += 1;
      return { record: true, suppressed };
    }
    if (count !== undefined) this.#seen.set(key, count + 1);
    else if (this.#seen.size < 10_000) this.#seen.set(key, 1);
    return { record: false, suppressed };
  }
}
