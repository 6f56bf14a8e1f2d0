// Frameworks the README has recipes for but this repository does not install (Hono, Next.js): the part
// of their published declarations the snippets use, copied from them (hono 4 `Context`/`HonoRequest`,
// @hono/node-server `getConnInfo`, next 15 `after`), so the snippets are checked against real signatures.
// A script file (no top-level import or export), so these are module declarations, not augmentations.

declare module 'hono' {
  export interface HonoRequest {
    readonly url: string;
    readonly raw: Request;
    text(): Promise<string>;
    json<T = unknown>(): Promise<T>;
    header(name: string): string | undefined;
  }
  export interface Context {
    req: HonoRequest;
    json(object: unknown, status?: number, headers?: Record<string, string | string[]>): Response;
    text(text: string, status?: number, headers?: Record<string, string | string[]>): Response;
  }
  export type Handler = (c: Context) => Response | Promise<Response>;
  export class Hono {
    post(path: string, ...handlers: Handler[]): this;
    get(path: string, ...handlers: Handler[]): this;
    fetch: (request: Request) => Response | Promise<Response>;
  }
}

declare module '@hono/node-server/conninfo' {
  import type { Context } from 'hono';

  type AddressType = 'IPv6' | 'IPv4' | undefined;
  interface NetAddrInfo {
    transport?: 'tcp' | 'udp';
    port?: number;
    address?: string;
    addressType?: AddressType;
  }
  export interface ConnInfo {
    remote: NetAddrInfo;
  }
  export function getConnInfo(c: Context): ConnInfo;
}

declare module 'next/server' {
  type AfterTask<T = unknown> = Promise<T> | (() => T | Promise<T>);
  export function after<T>(task: AfterTask<T>): void;
}
