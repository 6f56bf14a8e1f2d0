// The `billManager` client option: its zod field (spread into the client's schema by `client-checks.ts`)
// and the settings a `BillManager` is built with. The app key is a secret: it is kept in an ES private
// field of the resource and sent only as a header value, which the transport never logs.
import * as z from 'zod/mini';
import { BILL_MANAGER_APP_KEY_HEADER, BILL_MANAGER_PATH_PREFIX } from '../../core/limits.js';
import type { BillManagerOptions } from './types.js';

/** RFC 9110 token characters: a header name (`app_key`, `appKey`). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Header names the SDK sets itself or that would break the request. */
const RESERVED = /^(authorization|proxy-authorization|content-type|content-length|host|accept|user-agent)$/i;
/** A path: `/`, then segments of unreserved characters. */
const PATH_PREFIX = /^\/(?:[A-Za-z0-9._~-]+\/)*[A-Za-z0-9._~-]*\/?$/;

const isOptionalText = (v: unknown) => v === undefined || (typeof v === 'string' && v.trim() !== '');

/** @internal Is this `billManager` option valid? Returns the problem, or `undefined`. */
function billManagerProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'must be an object: { appKey?, appKeyHeader?, pathPrefix? }.';
  const o = value as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !['appKey', 'appKeyHeader', 'pathPrefix'].includes(k));
  if (unknown.length > 0)
    return `unknown option ${unknown.join(', ')}; use appKey, appKeyHeader or pathPrefix.`;
  if (!isOptionalText(o['appKey']))
    return 'appKey must be the app key the opt-in answered with (a non-empty string).';
  const header = o['appKeyHeader'];
  if (
    header !== undefined &&
    (typeof header !== 'string' || !HEADER_NAME.test(header) || RESERVED.test(header))
  )
    return 'appKeyHeader must be a header name, e.g. "app_key" (the default) or "appKey".';
  const prefix = o['pathPrefix'];
  if (prefix !== undefined && (typeof prefix !== 'string' || !PATH_PREFIX.test(prefix)))
    return `pathPrefix must be a path such as "${BILL_MANAGER_PATH_PREFIX}" or "${BILL_MANAGER_PATH_PREFIX}v1/billmanager-invoice/".`;
  return undefined;
}

/** @internal The `billManager` field of the client's options schema. */
export const BILL_MANAGER_OPTION_FIELDS = {
  billManager: z.optional(
    z.custom<BillManagerOptions>((v) => billManagerProblem(v) === undefined, {
      error: (issue) => billManagerProblem(issue.input) ?? 'is invalid.',
    }),
  ),
};

/** @internal The settings a `BillManager` works with: the options over their defaults. */
export interface BillManagerSettings {
  appKey: string | undefined;
  appKeyHeader: string;
  /** Starts and ends with `/`. */
  pathPrefix: string;
}

/** @internal The settings of validated `billManager` options. */
export function billManagerSettings(options: BillManagerOptions | undefined): BillManagerSettings {
  const prefix = options?.pathPrefix ?? BILL_MANAGER_PATH_PREFIX;
  return {
    appKey: options?.appKey?.trim(),
    appKeyHeader: options?.appKeyHeader ?? BILL_MANAGER_APP_KEY_HEADER,
    pathPrefix: prefix.endsWith('/') ? prefix : `${prefix}/`,
  };
}
