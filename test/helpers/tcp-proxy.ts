import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';

/**
 * A TCP proxy a test controls, for outage tests: put it between an app and a server (PostgreSQL, a fake
 * Daraja…) and break the link on purpose.
 *
 * ```ts
 * const proxy = await new TcpProxy({ host: '127.0.0.1', port: 5432 }).start();
 * const url = proxy.urlFor(DATABASE_URL); // the same URL, through the proxy
 * // … start the app on `url`, use it …
 * await proxy.cut();     // the server is gone: connections dropped, new ones refused (ECONNREFUSED)
 * await proxy.freeze();  // the server hangs: connections stay open, no byte gets through either way
 * await proxy.restore(); // back to normal (bytes held by freeze() are delivered)
 * proxy.connections;     // live client connections
 * await proxy.close();
 * ```
 *
 * States: `open` (forwarding), `frozen`, `cut`, `closed`. Each method may be called in any state but
 * `closed`, and resolves once the new state holds. Everything is loopback; nothing is retried.
 */
export class TcpProxy {
  readonly #target: { host: string; port: number };
  #server: Server | undefined;
  #port = 0;
  #state: 'new' | 'open' | 'frozen' | 'cut' | 'closed' = 'new';
  readonly #pairs = new Set<Pair>();

  /** @param target - Where connections are forwarded to. */
  constructor(target: { host: string; port: number }) {
    this.#target = target;
  }

  /** A proxy for the host and port of a URL such as `postgres://user:pass@127.0.0.1:5432/db`. */
  static forUrl(url: string, defaultPort = 5432): TcpProxy {
    const u = new URL(url);
    return new TcpProxy({ host: u.hostname || '127.0.0.1', port: Number(u.port) || defaultPort });
  }

  /** Listen on a free loopback port and start forwarding. */
  async start(): Promise<this> {
    if (this.#state !== 'new') throw new Error(`TcpProxy.start(): already ${this.#state}`);
    await this.#listen(0);
    this.#state = 'open';
    return this;
  }

  /** The port it listens on (the same for its whole life, across cut() and restore()). */
  get port(): number {
    return this.#port;
  }

  /** `open`, `frozen`, `cut` or `closed` (`new` before start()). */
  get state(): string {
    return this.#state;
  }

  /** How many client connections are open through it right now. */
  get connections(): number {
    return this.#pairs.size;
  }

  /** `url` with its host and port replaced by the proxy's (user, password, path and query kept). */
  urlFor(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.#port);
    return u.toString();
  }

  /**
   * The server goes away: every connection is destroyed (both sides), and the port stops listening, so a
   * new connection is refused (ECONNREFUSED) until restore().
   */
  async cut(): Promise<void> {
    this.#usable('cut');
    this.#state = 'cut';
    for (const pair of this.#pairs) pair.destroy();
    await this.#stopListening();
  }

  /**
   * The server hangs: connections stay open, and new ones are accepted (connected to the server), but no
   * byte is forwarded either way until restore(). A client sees only its own timeouts.
   */
  async freeze(): Promise<void> {
    this.#usable('freeze');
    if (this.#state === 'cut') await this.#listen(this.#port);
    this.#state = 'frozen';
  }

  /** Back to forwarding: listens again after cut(), and delivers the bytes held back by freeze(). */
  async restore(): Promise<void> {
    this.#usable('restore');
    if (this.#state === 'cut') await this.#listen(this.#port);
    this.#state = 'open';
    for (const pair of this.#pairs) pair.flush();
  }

  /** Stop listening and destroy every connection. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    for (const pair of this.#pairs) pair.destroy();
    await this.#stopListening();
  }

  #usable(method: string): void {
    if (this.#state === 'new' || this.#state === 'closed')
      throw new Error(`TcpProxy.${method}(): the proxy is ${this.#state}`);
  }

  #listen(port: number): Promise<void> {
    const server = createServer((client) => {
      if (this.#state === 'cut' || this.#state === 'closed') {
        client.destroy();
        return;
      }
      const pair = new Pair(client, tcpConnect(this.#target), () => this.#state === 'frozen');
      this.#pairs.add(pair);
      pair.onClose(() => this.#pairs.delete(pair));
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        const address = server.address();
        this.#port = typeof address === 'object' && address ? address.port : port;
        this.#server = server;
        resolve();
      });
    });
  }

  #stopListening(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}

/** One client connection and its connection to the target, forwarding by hand so it can hold bytes. */
class Pair {
  readonly #client: Socket;
  readonly #upstream: Socket;
  readonly #frozen: () => boolean;
  readonly #held: Array<{ to: Socket; chunk: Buffer }> = [];
  #closed = false;
  readonly #onClose: Array<() => void> = [];

  constructor(client: Socket, upstream: Socket, frozen: () => boolean) {
    this.#client = client;
    this.#upstream = upstream;
    this.#frozen = frozen;
    this.#forward(client, upstream);
    this.#forward(upstream, client);
  }

  onClose(listener: () => void): void {
    this.#onClose.push(listener);
  }

  /** Deliver what freeze() held back, in order. */
  flush(): void {
    for (const { to, chunk } of this.#held.splice(0)) if (!to.destroyed) to.write(chunk);
  }

  destroy(): void {
    this.#client.destroy();
    this.#upstream.destroy();
  }

  #forward(from: Socket, to: Socket): void {
    from.on('data', (chunk: Buffer) => {
      if (this.#frozen()) this.#held.push({ to, chunk });
      else to.write(chunk);
    });
    // One side closing or failing closes the other: what a client sees when the server drops it.
    from.on('error', () => this.destroy());
    from.on('close', () => {
      this.destroy();
      if (this.#closed) return;
      this.#closed = true;
      for (const listener of this.#onClose) listener();
    });
  }
}
