// Minimal type declarations for the parts of `oidc-provider` (which ships no types, and whose
// @types package lags behind v9) that the demo IdP uses. Deliberately loose where we only pass
// data through.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  import type { EventEmitter } from 'node:events';

  export type AdapterPayload = Record<string, unknown> & {
    uid?: string;
    grantId?: string;
    userCode?: string;
    consumed?: number;
  };

  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void>;
    find(id: string): Promise<AdapterPayload | undefined>;
    findByUid(uid: string): Promise<AdapterPayload | undefined>;
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  export interface Account {
    accountId: string;
    claims(use: string, scope: string, claims: unknown, rejected: string[]): Promise<Record<string, unknown>>;
  }

  export interface KoaContextWithOIDC {
    req: IncomingMessage;
    path: string;
    method: string;
    headers: Record<string, string | string[] | undefined>;
    status: number;
    body: unknown;
    set(name: string, value: string): void;
    /** Koa's content-type match: the type when it matches, else false. */
    is(type: string): string | false | null;
    oidc: {
      provider: Provider;
      route: string;
      params?: Record<string, unknown>;
      requestParamScopes: Set<string>;
      result?: { consent?: { grantId?: string }; login?: { accountId?: string } };
      account?: Account;
      client?: { clientId: string; clientAuthMethod: string };
      session?: { accountId?: string };
      /** Models the request loaded, by name (AuthorizationCode, RefreshToken, Client...). */
      entities: Record<string, unknown>;
    };
  }

  export interface Client {
    clientId: string;
    clientAuthMethod: string;
    scope?: string;
  }

  export interface InteractionDetails {
    uid: string;
    prompt: { name: 'login' | 'consent' | string; reasons: string[]; details: Record<string, unknown> };
    params: Record<string, unknown> & { client_id?: string; scope?: string };
    session?: { accountId?: string };
    grantId?: string;
  }

  export class Grant {
    constructor(init: { accountId: string; clientId: string });
    static find(id: string): Promise<Grant | undefined>;
    accountId: string;
    clientId: string;
    jti: string;
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }

  export interface Configuration {
    [key: string]: unknown;
  }

  export type KoaMiddleware = (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void>;

  export class Provider extends EventEmitter {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    Grant: typeof Grant;
    Client: { find(id: string): Promise<Client | undefined> };
    /** Token models, for minting tokens without a sign-in (the benchmark's 10,000 records). */
    AccessToken: new (init: Record<string, unknown>) => { save(): Promise<string>; readonly expiration: number };
    RefreshToken: new (init: Record<string, unknown>) => { save(): Promise<string> };
    use(middleware: KoaMiddleware): void;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
    on(event: 'assign.client', listener: (ctx: KoaContextWithOIDC, client: Client) => void): this;
    on(event: string, listener: (...args: any[]) => void): this;
  }

  export const errors: {
    InvalidClientAuth: new (detail: string) => Error;
    InvalidRequest: new (description: string) => Error;
    [name: string]: new (...args: any[]) => Error;
  };

  export class Check {
    static readonly REQUEST_PROMPT: true;
    static readonly NO_NEED_TO_PROMPT: false;
    constructor(reason: string, description: string, check: (ctx: KoaContextWithOIDC) => boolean | Promise<boolean>);
  }

  export interface Prompt {
    name: string;
    checks: { add(check: Check, index?: number): void };
  }

  export const interactionPolicy: {
    Check: typeof Check;
    base(): Prompt[] & { get(name: string): Prompt | undefined };
  };

  export default Provider;
}
