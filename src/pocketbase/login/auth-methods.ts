import { goJson, s256ChallengeFromHex, withQueryParams } from '../../core/login/auth-url.js';
import { loadState } from '../stores/app-store.js';

/**
 * Answers `GET /api/collections/{collection}/auth-methods` like PocketBase's
 * built-in handler (same keys, order and escaping on 0.28 to 0.38), except that
 * our provider's authorization URL asks for AUTHELIA_SCOPES: PocketBase's OIDC
 * provider hard-codes `openid email profile`, and without `groups` Authelia
 * sends no groups. No hook exists for this response, hence the replacement.
 */
export function authMethods(e: core.RequestEvent): void {
  const nameOrId = e.request?.url?.path.split('/')[3] ?? '';
  let collection: core.Collection;
  try {
    collection = e.app.findCachedCollectionByNameOrId(nameOrId);
  } catch {
    throw new NotFoundError('Missing or invalid collection context.');
  }
  if (!collection.isAuth()) {
    throw new NotFoundError('Missing or invalid auth collection context.');
  }

  const state = loadState(e.app);
  const scoped = state?.status === 'active' && state.collectionId === collection.id ? state : undefined;
  const providers = collection.oauth2.enabled
    ? collection.oauth2.providers.flatMap((config) => {
        const info = providerInfo(e.app, config, scoped?.provider === config.name ? scoped.scopes : undefined);
        return info ? [info] : [];
      })
    : [];

  const identityFields = collection.passwordAuth.enabled ? collection.passwordAuth.identityFields : [];
  const response = {
    password: { identityFields, enabled: collection.passwordAuth.enabled },
    oauth2: { providers, enabled: collection.oauth2.enabled },
    mfa: { enabled: collection.mfa.enabled, duration: collection.mfa.enabled ? collection.mfa.duration : 0 },
    otp: { enabled: collection.otp.enabled, duration: collection.otp.enabled ? collection.otp.duration : 0 },
    // Legacy keys PocketBase still sends; 0.37+ blanks the logo in the copy.
    authProviders: collection.oauth2.enabled ? providers.map((p) => ('logo' in p ? { ...p, logo: '' } : { ...p })) : null,
    usernamePassword: collection.passwordAuth.enabled && identityFields.includes('username'),
    emailPassword: collection.passwordAuth.enabled && identityFields.includes('email'),
  };

  // e.json() applies ?fields= like the built-in but sorts object keys; without
  // ?fields= send the exact bytes the built-in would.
  if (e.request?.url?.query().get('fields')) {
    e.json(200, response);
  } else {
    e.blob(200, 'application/json', goJson(response) as unknown as number[]);
  }
}

type ProviderInfo = Record<string, string>;

function providerInfo(app: CoreApp, config: core.OAuth2ProviderConfig, scopes: readonly string[] | undefined): ProviderInfo | undefined {
  let provider: auth.Provider;
  try {
    provider = config.initProvider();
  } catch (error) {
    app.logger().debug('Failed to setup OAuth2 provider', 'name', config.name, 'error', String(error));
    return undefined; // the built-in skips it too
  }
  const info: ProviderInfo = { name: config.name, displayName: provider.displayName() || config.name };
  const withLogo = provider as unknown as { logo?: () => string };
  if (typeof withLogo.logo === 'function') info['logo'] = withLogo.logo(); // PocketBase 0.37+
  const state = $security.randomString(30);
  info['state'] = state;

  const params: Array<[string, string]> = [];
  if (config.name === 'apple') params.push(['response_mode', 'form_post']);
  let codeVerifier = '';
  let codeChallenge = '';
  let codeChallengeMethod = '';
  if (provider.pkce()) {
    codeVerifier = $security.randomString(43);
    codeChallenge = s256ChallengeFromHex($security.sha256(codeVerifier), (hex) => Buffer.from(hex, 'hex').toString('base64'));
    codeChallengeMethod = 'S256';
    params.push(['code_challenge', codeChallenge], ['code_challenge_method', codeChallengeMethod]);
  }
  if (scopes) provider.setScopes([...scopes]);

  const authURL = `${withQueryParams(provider.buildAuthURL(state), provider.authURL().length, params)}&redirect_uri=`;
  return { ...info, authURL, authUrl: authURL, codeVerifier, codeChallenge, codeChallengeMethod };
}
