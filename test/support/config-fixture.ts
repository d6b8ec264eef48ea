import type { Config } from '../../src/core/boot/config.js';

/** The configuration parseConfig yields for AUTHELIA_URL=https://auth.example.com and nothing else but the secret. */
export function configWith(overrides: Partial<Config> = {}): Config {
  return {
    issuer: 'https://auth.example.com',
    clientId: 'pocketbase',
    clientSecret: 'secret-1',
    displayName: 'Authelia',
    collection: 'users',
    provider: 'oidc',
    scopes: ['openid', 'email', 'profile', 'groups'],
    pkce: true,
    groupsClaim: 'groups',
    groupsField: 'groups',
    groupsCollection: 'authelia_groups',
    membershipField: 'memberOf',
    allowedGroups: [],
    roles: [],
    rolesField: 'roles',
    syncProfile: true,
    autheliaOnly: true,
    relink: true,
    strict: false,
    discoveryTimeoutSeconds: 3,
    revalidation: { revalidateAfterSeconds: 300, maxSessionSeconds: 86400, sweep: '*/10 * * * *', tokenKey: null },
    signOutRedirect: null,
    ...overrides,
  };
}
