// What a frontend with the official SDK does to sign in through Authelia, without a browser: list
// the auth methods, sign in at the IdP headlessly, exchange the code. Used by the tests and the bench.
import PocketBase, { type RecordAuthResponse, type RecordModel } from 'pocketbase';
import { loginAtIdp, type HeadlessLoginResult } from './headless-login.js';
import type { IdpUser } from './idp.js';

export interface SsoLogin {
  readonly auth: RecordAuthResponse<RecordModel>;
  /** The scope the authorization URL asked for. */
  readonly scope: string | null;
}

/**
 * What a frontend with the official SDK does: list the auth methods, send the
 * user to the provider's authURL (here headless), then exchange the code.
 */
export async function ssoLogin(
  serverUrl: string,
  user: Pick<IdpUser, 'username' | 'password'>,
  options: {
    provider?: string; collection?: string; createData?: Record<string, unknown>; scopes?: string;
    /** More authorization parameters, as a client building its own URL may add (e.g. `claims`). */
    authParams?: Record<string, string>;
    /** Runs between the IdP's redirect and the code exchange (an outage that starts in between). */
    beforeExchange?: () => void | Promise<void>;
    /** Signs in at another IdP than testkit's stand-in (the real Authelia's portal). */
    signIn?: (authUrl: string, redirectUrl: string) => Promise<HeadlessLoginResult>;
    /**
     * A PocketBase token the frontend still holds: the SDK sends it with the code exchange, and
     * PocketBase picks that record when no record is linked to the account's sub yet.
     */
    authToken?: string;
  } = {},
): Promise<SsoLogin> {
  const client = new PocketBase(serverUrl);
  client.autoCancellation(false);
  if (options.authToken) client.authStore.save(options.authToken, null);
  const collection = options.collection ?? 'users';
  const providerName = options.provider ?? 'oidc';
  const methods = await client.collection(collection).listAuthMethods();
  const provider = methods.oauth2.providers.find((candidate) => candidate.name === providerName);
  if (!provider) throw new Error(`auth-methods lists no provider "${providerName}": ${JSON.stringify(methods.oauth2)}`);
  const redirectUrl = client.buildURL('/api/oauth2-redirect');
  // As the SDK's authWithOAuth2({ scopes }) does: replace the scope of the URL PocketBase built.
  const authUrl = new URL(provider.authURL);
  if (options.scopes) authUrl.searchParams.set('scope', options.scopes);
  for (const [name, value] of Object.entries(options.authParams ?? {})) authUrl.searchParams.set(name, value);
  const { code, state } = options.signIn
    ? await options.signIn(authUrl.toString(), redirectUrl)
    : await loginAtIdp(authUrl.toString(), redirectUrl, user.username, user.password);
  if (state !== provider.state) throw new Error('the IdP returned another state');
  await options.beforeExchange?.();
  const auth = await client
    .collection(collection)
    .authWithOAuth2Code(providerName, code, provider.codeVerifier, redirectUrl, options.createData ?? {});
  return { auth, scope: new URL(provider.authURL).searchParams.get('scope') };
}
