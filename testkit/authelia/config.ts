// The configuration a test's Authelia runs with, written as JSON (YAML's superset, which Authelia's
// loader reads): HTTPS from the test's private CA, local SQLite storage, filesystem notifier, no NTP
// check, no regulation, password reset off, and the PocketBase client exactly as Authelia's
// integration guide registers it (secret as a pbkdf2-sha512 310000 digest, PKCE S256, basic auth,
// unsigned userinfo, two_factor).
import { createHash, generateKeyPairSync, pbkdf2Sync, randomBytes } from 'node:crypto';

export const CLIENT_ID = 'pocketbase';

export interface RealUser {
  readonly username: string;
  readonly password: string;
  readonly displayname?: string;
  readonly email?: string;
  readonly groups?: readonly string[];
  readonly disabled?: boolean;
}

export interface LdapBackend {
  readonly url: string;
  readonly baseDn: string;
  readonly bindDn: string;
  readonly bindPassword: string;
}

export interface ClientOptions {
  readonly redirectUris: readonly string[];
  /** The offline_access scope and the refresh_token grant type. */
  readonly offlineAccess?: boolean;
  readonly tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
  readonly authorizationPolicy?: 'one_factor' | 'two_factor';
  /** Authelia's consent_mode; unset: its default (auto, which is explicit without a pre-configured duration). */
  readonly consentMode?: 'explicit' | 'implicit';
}

export interface ConfigInput {
  readonly port: number;
  readonly dir: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientSecretDigest: string;
  readonly client: ClientOptions;
  /** A client written elsewhere (authelia-config's output, the operator guide's), used as it is. */
  readonly rawClient?: Readonly<Record<string, unknown>>;
  readonly ldap?: LdapBackend;
  /** identity_providers.oidc.lifespans, e.g. { access_token: '15s' }. */
  readonly lifespans?: Readonly<Record<string, string>>;
  /** Default debug. */
  readonly logLevel?: 'debug' | 'info' | 'trace';
  readonly secrets: ConfigSecrets;
}

/** What stays the same across restarts of one test's Authelia (its storage is encrypted with them). */
export interface ConfigSecrets {
  readonly storageKey: string;
  readonly sessionSecret: string;
  readonly hmacSecret: string;
  readonly jwtSecret: string;
  readonly signingKey: string;
}

export function newSecrets(): ConfigSecrets {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    storageKey: randomBytes(32).toString('hex'),
    sessionSecret: randomBytes(32).toString('hex'),
    hmacSecret: randomBytes(32).toString('hex'),
    jwtSecret: randomBytes(32).toString('hex'),
    signingKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

export function autheliaConfig(input: ConfigInput): Record<string, unknown> {
  const url = `https://127.0.0.1:${input.port}`;
  const { client, secrets } = input;
  return {
    theme: 'light',
    server: { address: `tcp://127.0.0.1:${input.port}/`, tls: { certificate: input.certFile, key: input.keyFile } },
    log: { level: input.logLevel ?? 'debug', format: 'text' },
    totp: { issuer: 'pocketbase-authelia tests' },
    identity_validation: { reset_password: { jwt_secret: secrets.jwtSecret } },
    authentication_backend: {
      password_reset: { disable: true },
      ...(input.ldap ? { ldap: ldapSection(input.ldap) } : { file: { path: `${input.dir}/users.yml`, watch: true } }),
    },
    // One rule, so that validate-config has nothing to warn about (a policy with no rules gets a warning).
    access_control: { default_policy: 'deny', rules: [{ domain: 'app.example.test', policy: 'two_factor' }] },
    session: { secret: secrets.sessionSecret, cookies: [{ domain: '127.0.0.1', authelia_url: url }] },
    // Off, so that a test may fail a login on purpose without locking the user out.
    regulation: { max_retries: 0 },
    storage: { encryption_key: secrets.storageKey, local: { path: `${input.dir}/db.sqlite3` } },
    notifier: { filesystem: { filename: `${input.dir}/notification.txt` } },
    ntp: { disable_startup_check: true },
    identity_providers: {
      oidc: {
        hmac_secret: secrets.hmacSecret,
        jwks: [{ key_id: 'tests', algorithm: 'RS256', use: 'sig', key: secrets.signingKey }],
        ...(input.lifespans ? { lifespans: input.lifespans } : {}),
        clients: [input.rawClient ?? {
          client_id: CLIENT_ID,
          client_name: 'PocketBase',
          client_secret: input.clientSecretDigest,
          public: false,
          authorization_policy: client.authorizationPolicy ?? 'two_factor',
          require_pkce: true,
          pkce_challenge_method: 'S256',
          redirect_uris: client.redirectUris,
          scopes: ['openid', 'email', 'groups', 'profile', ...(client.offlineAccess ? ['offline_access'] : [])],
          grant_types: ['authorization_code', ...(client.offlineAccess ? ['refresh_token'] : [])],
          response_types: ['code'],
          userinfo_signed_response_alg: 'none',
          token_endpoint_auth_method: client.tokenEndpointAuthMethod ?? 'client_secret_basic',
          ...(client.consentMode ? { consent_mode: client.consentMode } : {}),
        }],
      },
    },
  };
}

function ldapSection(ldap: LdapBackend): Record<string, unknown> {
  return {
    implementation: 'custom',
    address: ldap.url,
    timeout: '2s',
    start_tls: false,
    base_dn: ldap.baseDn,
    additional_users_dn: 'ou=users',
    users_filter: '(&({username_attribute}={input})(objectClass=inetOrgPerson))',
    additional_groups_dn: 'ou=groups',
    groups_filter: '(&(member={dn})(objectClass=groupOfNames))',
    user: ldap.bindDn,
    password: ldap.bindPassword,
    attributes: { username: 'uid', display_name: 'cn', mail: 'mail', group_name: 'cn' },
  };
}

/** The file backend's users database. Passwords are cheap pbkdf2 digests: the tests log in often. */
export function usersFile(users: readonly RealUser[]): Record<string, unknown> {
  return {
    users: Object.fromEntries(users.map((user) => [user.username, {
      displayname: user.displayname ?? user.username,
      password: cheapDigest(user.password),
      ...(user.email ? { email: user.email } : {}),
      groups: user.groups ?? [],
      disabled: user.disabled ?? false,
    }])),
  };
}

const digests = new Map<string, string>();

/** `$pbkdf2-sha512$1000$<salt>$<key>`: the tests' users sign in often. */
function cheapDigest(password: string): string {
  const known = digests.get(password);
  if (known) return known;
  const digest = pbkdf2Digest(password, 1000);
  digests.set(password, digest);
  return digest;
}

/**
 * `$pbkdf2-sha512$<iterations>$<salt>$<key>` in go-crypt's adapted base64 ('+' as '.', no
 * padding), which Authelia reads anywhere it takes a digest, also with fewer iterations than its
 * own `crypto hash generate` makes (at least 100,000).
 */
export function pbkdf2Digest(password: string, iterations: number): string {
  const salt = createHash('sha256').update(password).digest().subarray(0, 16);
  const key = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
  const adapted = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '').replaceAll('+', '.');
  return `$pbkdf2-sha512$${iterations}$${adapted(salt)}$${adapted(key)}`;
}
