// What tests need to see and break at the demo IdP's front door: a log of the calls a relying
// party makes after the login (token, userinfo, revocation), and a switch that makes the whole IdP
// unavailable (503), unresponsive (accepts the connection, never answers), like an Authelia that
// is down or stuck behind a dead proxy, or late (does the work, answers after the client gave up:
// a refresh Authelia performed whose answer was lost).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IdpMode, IdpRequest } from './idp-types.js';

/** Longer than the extension's 5 s per request to Authelia. */
const DEFAULT_LATE_MS = 8_000;

export class Traffic {
  /** Live list, oldest first; tests may empty it with `requests.length = 0`. */
  readonly requests: IdpRequest[] = [];
  readonly #logged: ReadonlySet<string>;
  readonly #byRequest = new WeakMap<IncomingMessage, IdpRequest>();
  readonly #held = new Set<IncomingMessage>();
  #mode: IdpMode = 'up';
  #lateMs = DEFAULT_LATE_MS;
  readonly #listeners: Array<(request: IdpRequest) => void> = [];

  /** Called as each logged request arrives, before it is answered: lets a test change the IdP mid-run. */
  onRequest(listener: (request: IdpRequest) => void): void {
    this.#listeners.push(listener);
  }

  constructor(loggedPaths: Iterable<string>) {
    this.#logged = new Set(loggedPaths);
  }

  /** Records the request if its path is one of the logged endpoints. */
  record(req: IncomingMessage, res: ServerResponse, path: string): void {
    if (!this.#logged.has(path)) return;
    const entry: IdpRequest = { method: req.method ?? 'GET', path, at: Date.now() };
    this.requests.push(entry);
    this.#byRequest.set(req, entry);
    for (const listener of this.#listeners) listener(entry);
    res.once('finish', () => (entry.status = res.statusCode));
  }

  /** Adds what only the parsed request tells (called from inside oidc-provider). */
  noteGrantType(req: IncomingMessage, grantType: unknown): void {
    const entry = this.#byRequest.get(req);
    if (entry && typeof grantType === 'string') entry.grant_type = grantType;
  }

  /** True when the fault mode answered (or swallowed) the request and nothing else may. */
  intercept(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.#mode === 'up') return false;
    if (this.#mode === 'late') {
      this.#answerLate(res);
      return false;
    }
    if (this.#mode === 'unavailable') {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'retry-after': '5' });
      res.end('Service Unavailable\n');
      return true;
    }
    // 'hang': keep the connection open without reading or answering.
    this.#held.add(req);
    req.socket.once('close', () => this.#held.delete(req));
    return true;
  }

  /**
   * Leaving 'hang' drops the held connections without an answer and without processing them: a
   * token request that hung never consumed a refresh token, so the client's copy stays usable.
   */
  setMode(mode: IdpMode, lateMs = DEFAULT_LATE_MS): void {
    if (mode !== 'up' && mode !== 'unavailable' && mode !== 'hang' && mode !== 'late') throw new TypeError(`setDown: unknown mode ${String(mode)}`);
    if (!(Number.isInteger(lateMs) && lateMs > 0)) throw new TypeError(`setDown: lateMs must be a positive whole number, got ${String(lateMs)}`);
    this.#mode = mode;
    this.#lateMs = lateMs;
    if (mode !== 'hang') this.dropHeld();
  }

  /** The request is processed as usual; only the answer leaves later. */
  #answerLate(res: ServerResponse): void {
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    const delay = this.#lateMs;
    res.end = ((...args: unknown[]) => {
      const timer = setTimeout(() => end(...args), delay);
      res.once('close', () => clearTimeout(timer));
      return res;
    }) as ServerResponse['end'];
  }

  dropHeld(): void {
    for (const req of this.#held) req.socket.destroy();
    this.#held.clear();
  }
}
