// In-memory storage for oidc-provider (sessions, interactions, codes, tokens, grants).
//
// Why our own instead of oidc-provider's built-in memory adapter: the built-in one prints a loud
// "you MUST change it" warning on every start (noise in `npm start` and in every test), and its
// LRU silently evicts entries once it holds ~1000. This one is a plain Map per IdP instance, so
// several IdPs in one process never share state and close() can drop everything at once.
// Losing all state on restart is intended: the demo IdP has no database, like a fresh Authelia.
import type { Adapter, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  expiresAt: number; // epoch ms; Infinity = no expiry
}

// Token-like models that hang off a grant and must disappear when the grant is revoked.
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

export class IdpStore {
  readonly #entries = new Map<string, Entry>();
  readonly #sessionByUid = new Map<string, string>(); // Session.uid -> Session id
  readonly #grantMembers = new Map<string, Set<string>>(); // grantId -> storage keys
  #writesSinceSweep = 0;

  /** Factory in the shape oidc-provider's `adapter` option expects: one adapter per model name. */
  adapterFor = (model: string): Adapter => {
    const key = (id: string) => `${model}:${id}`;
    return {
      upsert: async (id, payload, expiresIn) => {
        this.#sweepNowAndThen();
        const k = key(id);
        const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity;
        this.#entries.set(k, { payload, expiresAt });
        if (model === 'Session' && typeof payload.uid === 'string') this.#sessionByUid.set(payload.uid, id);
        if (GRANTABLE.has(model) && typeof payload.grantId === 'string') {
          const members = this.#grantMembers.get(payload.grantId) ?? new Set<string>();
          members.add(k);
          this.#grantMembers.set(payload.grantId, members);
        }
      },
      find: async (id) => this.#get(key(id)),
      findByUid: async (uid) => {
        const id = this.#sessionByUid.get(uid);
        return id === undefined ? undefined : this.#get(key(id));
      },
      // Only used by the device flow, which this IdP does not enable.
      findByUserCode: async () => undefined,
      consume: async (id) => {
        const payload = this.#get(key(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      destroy: async (id) => {
        this.#entries.delete(key(id));
      },
      revokeByGrantId: async (grantId) => {
        for (const k of this.#grantMembers.get(grantId) ?? []) this.#entries.delete(k);
        this.#grantMembers.delete(grantId);
      },
    };
  };

  /**
   * A stored token without dropping it when expired, so userinfo can tell an expired token
   * (`invalid_token`) from one it never issued or revoked (`request_unauthorized`).
   */
  peek(model: string, id: string): { payload: AdapterPayload; expired: boolean } | undefined {
    const entry = this.#entries.get(`${model}:${id}`);
    return entry && { payload: entry.payload, expired: entry.expiresAt <= Date.now() };
  }

  /**
   * Authelia's refresh flow revokes the grant's earlier access tokens
   * (internal/oidc/flow_refresh.go): only the access token just issued stays valid.
   */
  revokeAccessTokensOfGrant(grantId: string, keepId: string): void {
    const members = this.#grantMembers.get(grantId);
    for (const k of members ?? []) {
      if (k.startsWith('AccessToken:') && k !== `AccessToken:${keepId}`) {
        this.#entries.delete(k);
        members?.delete(k);
      }
    }
  }

  /** One browser session (the portal's sign-out); the tokens it led to stay valid, as in Authelia. */
  forgetSession(id: string): void {
    this.#entries.delete(`Session:${id}`);
  }

  /** Every token of a grant (Authelia: revoking an access token also deactivates the grant's refresh tokens). */
  revokeGrant(grantId: string): void {
    for (const k of this.#grantMembers.get(grantId) ?? []) this.#entries.delete(k);
    this.#grantMembers.delete(grantId);
  }

  /** Every token, code, grant and browser session: Authelia restarted on an empty storage. */
  forgetTokens(): void {
    this.clear();
  }

  clear(): void {
    this.#entries.clear();
    this.#sessionByUid.clear();
    this.#grantMembers.clear();
  }

  // Expired entries are dropped when read; this also drops the ones nobody reads again, so a
  // long-running demo does not grow without bound.
  #sweepNowAndThen(): void {
    if (++this.#writesSinceSweep < 500) return;
    this.#writesSinceSweep = 0;
    const now = Date.now();
    for (const [k, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(k);
    for (const [uid, id] of this.#sessionByUid) if (!this.#entries.has(`Session:${id}`)) this.#sessionByUid.delete(uid);
    for (const [grantId, members] of this.#grantMembers) {
      for (const k of members) if (!this.#entries.has(k)) members.delete(k);
      if (members.size === 0) this.#grantMembers.delete(grantId);
    }
  }

  #get(k: string): AdapterPayload | undefined {
    const entry = this.#entries.get(k);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.#entries.delete(k);
      return undefined;
    }
    return entry.payload;
  }
}
