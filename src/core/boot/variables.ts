/** PocketBase's generic OpenID Connect slots; the others are vendor-specific. */
export const PROVIDER_SLOTS = ['oidc', 'oidc2', 'oidc3'] as const;
export type ProviderSlot = (typeof PROVIDER_SLOTS)[number];

/**
 * Every variable the extension reads, with its default. The README's table
 * documents the same list; `test/unit/docs/readme.test.ts` keeps them in step.
 * Kept apart from the zod schema so hook registration can read it cheaply.
 */
export const DEFAULTS = {
  AUTHELIA_URL: undefined,
  AUTHELIA_CLIENT_ID: 'pocketbase',
  AUTHELIA_CLIENT_SECRET: undefined,
  AUTHELIA_DISPLAY_NAME: 'Authelia',
  AUTHELIA_COLLECTION: 'users',
  AUTHELIA_PROVIDER: 'oidc',
  AUTHELIA_SCOPES: 'openid email profile groups',
  AUTHELIA_PKCE: 'true',
  AUTHELIA_GROUPS_CLAIM: 'groups',
  AUTHELIA_GROUPS_FIELD: 'groups',
  AUTHELIA_GROUPS_COLLECTION: 'authelia_groups',
  AUTHELIA_MEMBERSHIP_FIELD: 'memberOf',
  AUTHELIA_ALLOWED_GROUPS: '',
  AUTHELIA_SYNC_PROFILE: 'true',
  AUTHELIA_ONLY: 'true',
  AUTHELIA_RELINK: 'true',
  AUTHELIA_ROLES: '',
  AUTHELIA_ROLES_FIELD: 'roles',
  AUTHELIA_STRICT: 'false',
  AUTHELIA_DISCOVERY_TIMEOUT: '3',
  AUTHELIA_REVALIDATE_AFTER: '5m',
  AUTHELIA_MAX_SESSION: '24h',
  AUTHELIA_SWEEP: '*/10 * * * *',
  AUTHELIA_TOKEN_KEY: undefined,
  AUTHELIA_SIGN_OUT_REDIRECT: undefined,
} as const satisfies Record<string, string | undefined>;

export type VariableName = keyof typeof DEFAULTS;
export const VARIABLES = Object.keys(DEFAULTS) as VariableName[];

