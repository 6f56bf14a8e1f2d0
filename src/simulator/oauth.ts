import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { accessToken } from './ids.js';
import { errorEnvelope, ok, type RouteResponse, type SimulatorRoute } from './routes.js';

/** @internal The consumer key and secret the simulator accepts. */
export interface OAuthConfig {
  consumerKey: string;
  consumerSecret: string;
}

/**
 * @internal
 * Access tokens the simulator issued, each valid until its expiry. Every token is random; none is
 * ever logged.
 */
export class TokenStore {
  readonly #tokens = new Map<string, number>();
  readonly #lifetimeMs: number;

  constructor(lifetimeMs: number) {
    this.#lifetimeMs = lifetimeMs;
  }

  issue(): string {
    const now = Date.now();
    for (const [token, expiresAt] of this.#tokens) if (expiresAt <= now) this.#tokens.delete(token);
    const token = accessToken();
    this.#tokens.set(token, now + this.#lifetimeMs);
    return token;
  }

  /** `expires_in` as Daraja sends it: whole seconds, as a string (at least 1). */
  get expiresIn(): string {
    return String(Math.max(1, Math.round(this.#lifetimeMs / 1000)));
  }

  isValid(token: string): boolean {
    const expiresAt = this.#tokens.get(token);
    return expiresAt !== undefined && expiresAt > Date.now();
  }

  /** Make every issued token invalid now. */
  expireAll(): void {
    this.#tokens.clear();
  }

  /**
   * Check the request's `Authorization: Bearer …` header.
   *
   * @returns `undefined` when the token is valid, else Daraja's 404.001.03 "Invalid Access Token" answer.
   */
  check(headers: IncomingHttpHeaders): RouteResponse | undefined {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
    if (match && this.isValid(match[1]!)) return undefined;
    return errorEnvelope(404, '404.001.03', 'Invalid Access Token');
  }
}

const sameText = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * @internal
 * `GET /oauth/v1/generate?grant_type=client_credentials` with HTTP Basic auth, answering like Daraja:
 * a wrong grant type is `400.008.02`, a missing or non-Basic header `400.008.01`, wrong credentials an
 * HTTP 400 with an empty body.
 */
export function oauthRoutes(config: OAuthConfig, tokens: TokenStore): SimulatorRoute[] {
  return [
    {
      method: 'GET',
      path: '/oauth/v1/generate',
      operation: 'oauth',
      handle(request) {
        if (request.url.searchParams.get('grant_type') !== 'client_credentials') {
          return errorEnvelope(400, '400.008.02', 'Invalid grant type passed');
        }
        const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(request.headers.authorization ?? '');
        if (!basic) return errorEnvelope(400, '400.008.01', 'Invalid authentication type passed');
        const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        const key = colon < 0 ? decoded : decoded.slice(0, colon);
        const secret = colon < 0 ? '' : decoded.slice(colon + 1);
        // Evaluate both comparisons, so the answer time does not tell which one failed.
        const keyOk = sameText(key, config.consumerKey);
        const secretOk = sameText(secret, config.consumerSecret);
        if (!keyOk || !secretOk) {
          return { status: 400, statusMessage: 'Bad Request: Invalid Credentials' };
        }
        return ok({ access_token: tokens.issue(), expires_in: tokens.expiresIn });
      },
    },
  ];
}
