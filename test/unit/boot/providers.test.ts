import { describe, expect, it } from 'vitest';
import { configWith } from '../../support/config-fixture.js';
import type { Config } from '../../../src/core/boot/config.js';
import { fallbackEndpoints, type Endpoints } from '../../../src/core/boot/discovery-rules.js';
import {
  MANAGED_BY_KEY,
  MANAGED_BY_VALUE,
  desiredProvider,
  legacyGuardedFields,
  isManaged,
  planProviders,
  type ExistingProvider,
  type ProviderFields,
  type ProviderPlan,
} from '../../../src/core/boot/providers.js';

const ISSUER = 'https://auth.example.com';
const CONFIG: Config = configWith({ issuer: ISSUER });
const ENDPOINTS: Endpoints = {
  authURL: `${ISSUER}/api/oidc/authorization`,
  tokenURL: `${ISSUER}/api/oidc/token`,
  revocationURL: `${ISSUER}/api/oidc/revocation`,
  userInfoURL: `${ISSUER}/api/oidc/userinfo`,
  source: 'discovery',
};
const DESIRED = desiredProvider(CONFIG, ENDPOINTS);

function vendor(name: string): ExistingProvider {
  return {
    name,
    clientId: `${name}-id`,
    clientSecret: `${name}-secret`,
    authURL: '',
    tokenURL: '',
    userInfoURL: '',
    displayName: '',
    pkce: false,
    extra: {},
  };
}

const GOOGLE = vendor('google');
const GITHUB = vendor('github');
/** An operator's own OIDC provider pointing at another identity provider. */
const KEYCLOAK: ExistingProvider = {
  name: 'oidc',
  clientId: 'kc',
  clientSecret: 'kc-secret',
  authURL: 'https://keycloak.example.net/realms/x/protocol/openid-connect/auth',
  tokenURL: 'https://keycloak.example.net/realms/x/protocol/openid-connect/token',
  userInfoURL: 'https://keycloak.example.net/realms/x/protocol/openid-connect/userinfo',
  displayName: 'Keycloak',
  pkce: true,
  extra: {},
};

function planned(plan: ProviderPlan): Extract<ProviderPlan, { ok: true }> {
  if (!plan.ok) throw new Error(`expected a plan, got ${plan.problem}`);
  return plan;
}

function problem(plan: ProviderPlan): string {
  if (plan.ok) throw new Error(`expected a problem, got ${JSON.stringify(plan)}`);
  return plan.problem;
}

/** Applies a plan the way the PocketBase side does, to check idempotence. */
function apply(existing: readonly ExistingProvider[], plan: Extract<ProviderPlan, { ok: true }>): ExistingProvider[] {
  return plan.entries.map((entry) => {
    if ('keep' in entry) {
      const kept = existing[entry.keep];
      if (kept === undefined) throw new Error(`keep index ${entry.keep} out of range`);
      return kept;
    }
    return entry.write;
  });
}

describe('desiredProvider', () => {
  it('maps the config and endpoints, marked as managed', () => {
    expect(DESIRED).toEqual({
      name: 'oidc',
      clientId: 'pocketbase',
      clientSecret: 'secret-1',
      authURL: 'https://auth.example.com/api/oidc/authorization',
      tokenURL: 'https://auth.example.com/api/oidc/token',
      userInfoURL: 'https://auth.example.com/api/oidc/userinfo',
      displayName: 'Authelia',
      pkce: true,
      extra: { managedBy: 'pocketbase-authelia' },
    });
    expect(MANAGED_BY_KEY).toBe('managedBy');
    expect(MANAGED_BY_VALUE).toBe('pocketbase-authelia');
  });

  it('uses the configured slot and PKCE setting', () => {
    const provider = desiredProvider({ ...CONFIG, provider: 'oidc3', pkce: false }, fallbackEndpoints(ISSUER));
    expect(provider.name).toBe('oidc3');
    expect(provider.pkce).toBe(false);
    expect(provider.authURL).toBe(`${ISSUER}/api/oidc/authorization`);
  });
});

describe('isManaged', () => {
  it.each([
    [{ managedBy: 'pocketbase-authelia' }, true],
    [{ managedBy: 'pocketbase-authelia', other: 1 }, true],
    [{}, false],
    [{ managedBy: 'someone-else' }, false],
    [{ managedBy: true }, false],
    [{ managed_by: 'pocketbase-authelia' }, false],
  ])('%j → %s', (extra, expected) => {
    expect(isManaged({ extra })).toBe(expected);
  });
});

describe('planProviders: adding and idempotence', () => {
  it('adds ours to an empty list', () => {
    expect(planProviders([], DESIRED, ISSUER)).toEqual({ ok: true, changed: true, entries: [{ write: DESIRED }] });
  });

  it('appends ours after other providers, keeping them by index in order', () => {
    expect(planProviders([GOOGLE, GITHUB], DESIRED, ISSUER)).toEqual({
      ok: true,
      changed: true,
      entries: [{ keep: 0 }, { keep: 1 }, { write: DESIRED }],
    });
  });

  it('is unchanged when the same desired provider is planned twice', () => {
    const first = planned(planProviders([GOOGLE], DESIRED, ISSUER));
    const after = apply([GOOGLE], first);
    const second = planProviders(after, desiredProvider(CONFIG, ENDPOINTS), ISSUER);
    expect(second).toEqual({ ok: true, changed: false, entries: [{ keep: 0 }, { keep: 1 }] });
  });

  it('keeps our unchanged entry in place among other providers', () => {
    const existing = [GOOGLE, DESIRED, GITHUB];
    expect(planProviders(existing, DESIRED, ISSUER)).toEqual({ ok: true, changed: false, entries: [{ keep: 0 }, { keep: 1 }, { keep: 2 }] });
  });

  it('does not compare extra beyond the marker (other keys on our entry do not force a write)', () => {
    const ours: ExistingProvider = { ...DESIRED, extra: { managedBy: 'pocketbase-authelia', note: 'x' } };
    expect(planned(planProviders([ours], DESIRED, ISSUER)).changed).toBe(false);
  });
});

describe('planProviders: changes rewrite our entry in place', () => {
  const changes: Array<[string, Partial<ProviderFields>]> = [
    ['the secret', { clientSecret: 'secret-2' }],
    ['the client id', { clientId: 'pb2' }],
    ['the auth URL', { authURL: `${ISSUER}/other/authorization` }],
    ['the token URL', { tokenURL: `${ISSUER}/other/token` }],
    ['the userinfo URL', { userInfoURL: `${ISSUER}/other/userinfo` }],
    ['the display name', { displayName: 'Company SSO' }],
    ['PKCE', { pkce: false }],
  ];
  it.each(changes)('a change of %s → write, changed', (_label, change) => {
    const next: ProviderFields = { ...DESIRED, ...change };
    expect(planProviders([GOOGLE, DESIRED, GITHUB], next, ISSUER)).toEqual({
      ok: true,
      changed: true,
      entries: [{ keep: 0 }, { write: next }, { keep: 2 }],
    });
  });
});

describe('planProviders: slot moves and removal', () => {
  it('removes our entry from its old slot when the slot changes', () => {
    const moved = desiredProvider({ ...CONFIG, provider: 'oidc2' }, ENDPOINTS);
    expect(planProviders([GOOGLE, DESIRED, GITHUB], moved, ISSUER)).toEqual({
      ok: true,
      changed: true,
      entries: [{ keep: 0 }, { keep: 2 }, { write: moved }],
    });
  });

  it('keeps a hand-made provider in the old slot when the slot changes', () => {
    const handMade: ExistingProvider = { ...KEYCLOAK, name: 'oidc' };
    const moved = desiredProvider({ ...CONFIG, provider: 'oidc2' }, ENDPOINTS);
    expect(planProviders([handMade], moved, ISSUER)).toEqual({ ok: true, changed: true, entries: [{ keep: 0 }, { write: moved }] });
  });

  it('removes only managed entries when desired is null', () => {
    const handMadeOidc2: ExistingProvider = { ...KEYCLOAK, name: 'oidc2' };
    expect(planProviders([GOOGLE, DESIRED, handMadeOidc2, GITHUB], null, ISSUER)).toEqual({
      ok: true,
      changed: true,
      entries: [{ keep: 0 }, { keep: 2 }, { keep: 3 }],
    });
  });

  it('removes managed entries in every slot when desired is null', () => {
    const inOidc3: ExistingProvider = { ...DESIRED, name: 'oidc3' };
    expect(planProviders([DESIRED, GOOGLE, inOidc3], null, null)).toEqual({ ok: true, changed: true, entries: [{ keep: 1 }] });
  });

  it('is unchanged when desired is null and nothing is managed', () => {
    expect(planProviders([GOOGLE, KEYCLOAK], null, null)).toEqual({ ok: true, changed: false, entries: [{ keep: 0 }, { keep: 1 }] });
    expect(planProviders([], null, ISSUER)).toEqual({ ok: true, changed: false, entries: [] });
  });
});

describe('planProviders: a provider we did not write in our slot', () => {
  it('refuses to overwrite a foreign provider, naming the free slots', () => {
    const message = problem(planProviders([GOOGLE, KEYCLOAK, { ...KEYCLOAK, name: 'oidc3' }], DESIRED, ISSUER));
    expect(message).toContain('"oidc"');
    expect(message).toContain(KEYCLOAK.authURL);
    expect(message).toContain('AUTHELIA_PROVIDER');
    expect(message).toMatch(/\(oidc2\)/);
  });

  it('lists every free slot', () => {
    expect(problem(planProviders([KEYCLOAK], DESIRED, ISSUER))).toMatch(/\(oidc2, oidc3\)/);
  });

  it('says when no slot is left', () => {
    const all = [KEYCLOAK, { ...KEYCLOAK, name: 'oidc2' }, { ...KEYCLOAK, name: 'oidc3' }];
    expect(problem(planProviders(all, DESIRED, ISSUER))).toContain('none left');
  });

  it('refuses a foreign provider whose authURL merely starts with the issuer host', () => {
    const lookalike: ExistingProvider = { ...KEYCLOAK, authURL: 'https://auth.example.com.evil.net/api/oidc/authorization' };
    expect(problem(planProviders([lookalike], DESIRED, ISSUER))).toContain('AUTHELIA_PROVIDER');
  });

  it('refuses a foreign provider whose authURL shares the issuer as a string prefix without "/"', () => {
    const lookalike: ExistingProvider = { ...KEYCLOAK, authURL: 'https://auth.example.comx/api/oidc/authorization' };
    expect(planProviders([lookalike], DESIRED, ISSUER).ok).toBe(false);
  });

  it('refuses a hand-made provider pointing at our issuer when the issuer is unknown', () => {
    const handMade: ExistingProvider = { ...DESIRED, extra: {} };
    expect(planProviders([handMade], DESIRED, null).ok).toBe(false);
  });

  it('adopts (replaces) a hand-made provider whose authURL starts with the issuer and "/"', () => {
    const handMade: ExistingProvider = {
      ...KEYCLOAK,
      authURL: `${ISSUER}/api/oidc/authorization`,
      clientSecret: 'old-secret',
      displayName: 'Login',
    };
    expect(planProviders([GOOGLE, handMade], DESIRED, ISSUER)).toEqual({ ok: true, changed: true, entries: [{ keep: 0 }, { write: DESIRED }] });
  });

  it('adopts a hand-made provider identical to ours but without the marker (writes the marker)', () => {
    const handMade: ExistingProvider = { ...DESIRED, extra: {} };
    expect(planProviders([handMade], DESIRED, ISSUER)).toEqual({ ok: true, changed: true, entries: [{ write: DESIRED }] });
  });

  it('does not mind foreign providers in other slots', () => {
    const elsewhere: ExistingProvider = { ...KEYCLOAK, name: 'oidc2' };
    expect(planProviders([elsewhere], DESIRED, ISSUER)).toEqual({ ok: true, changed: true, entries: [{ keep: 0 }, { write: DESIRED }] });
  });
});

describe('fields guarded by older releases', () => {
  it('reads the names an older release kept in its entry, and rewrites that entry once', () => {
    const legacy = { ...DESIRED, extra: { managedBy: 'pocketbase-authelia', guardedFields: ['groups', 'memberOf', 'roles'] } };
    expect(legacyGuardedFields(legacy)).toEqual(['groups', 'memberOf', 'roles']);
    expect(planProviders([legacy], DESIRED, ISSUER)).toMatchObject({ ok: true, changed: true });
    expect(planProviders([DESIRED], DESIRED, ISSUER)).toMatchObject({ ok: true, changed: false });
  });

  it('reads no guarded fields from a provider it does not manage, or from a malformed list', () => {
    expect(legacyGuardedFields(undefined)).toEqual([]);
    expect(legacyGuardedFields({ extra: { guardedFields: ['groups'] } })).toEqual([]);
    expect(legacyGuardedFields({ extra: { managedBy: 'pocketbase-authelia', guardedFields: 'groups' } })).toEqual([]);
    expect(legacyGuardedFields({ extra: { managedBy: 'pocketbase-authelia', guardedFields: ['roles', 7] } })).toEqual(['roles']);
  });
});
