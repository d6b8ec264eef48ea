// The stand-in IdP's shared types: what its users, clients, versions and switches look like. Every
// module of the IdP imports them from here, and this module imports nothing of the IdP, so the IdP's
// modules never import each other in a circle.

/** Which Authelia the stand-in answers as (see idp-userinfo.ts). */
export type AutheliaVersion = '4.39' | '4.38' | '4.38.0';

/** Authelia's consent_mode for the client. */
export type ConsentMode = 'explicit' | 'implicit' | 'pre-configured';

export interface IdpRequest {
  method: string;
  /** Path relative to the issuer, without the query, e.g. '/api/oidc/token'. */
  path: string;
  /** When the request arrived (epoch milliseconds). */
  at: number;
  /** Token requests only: the form's grant_type, once the IdP has parsed it (not when down). */
  grant_type?: string;
  /** The status answered; undefined while in flight or when never answered ('hang'). */
  status?: number;
}

export type IdpMode = 'up' | 'unavailable' | 'hang' | 'late';

export interface IdpUser {
  username: string;
  password: string;
  name: string;
  email: string;
  /** Passed through untouched as the `groups` claim (undefined = claim omitted). Tests send
   * hostile values on purpose, hence `unknown`. */
  groups: string[] | null | undefined | unknown;
  /** Fixed opaque subject; default: a random UUID per username, stable for the IdP's lifetime. */
  sub?: string;
  /** Authelia's `disabled: true` in the users file: cannot sign in; refresh still works and
   * userinfo answers with `sub` only. */
  disabled?: boolean;
}

export interface IdpClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  /** Enforced strictly, like Authelia: the other method gets invalid_client. Default basic. */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
  /** Authelia's `revocation_endpoint_auth_method`: basic unless set, whatever the token endpoint uses. */
  revocationEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
  /** Authelia's `introspection_endpoint_auth_method`: basic unless set, whatever the token endpoint uses. */
  introspectionEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
  /** Authelia registers these together: the `offline_access` scope and the `refresh_token`
   * grant type. Without it, requesting offline_access fails the login (invalid_scope). */
  offlineAccess?: boolean;
}
