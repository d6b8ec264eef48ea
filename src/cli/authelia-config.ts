// `pocketbase-authelia authelia-config`: the Authelia client registration that matches the
// extension's settings, and the PocketBase variables that go with it.
import { parseConfig } from '../core/boot/config.js';
import { origin, parseHttpUrl, redactUrl } from '../core/boot/urls.js';
import type { EnvSource, ReadTextFile } from '../core/boot/env-rules.js';
import { DEFAULTS } from '../core/boot/variables.js';
import { generateSecret, generateTokenKey, MIN_SECRET_LENGTH, pbkdf2Digest } from './secret.js';
import { yamlListItem, type YamlField } from './yaml.js';

export const CONSENT_MODES = ['explicit', 'implicit', 'pre-configured', 'auto'] as const;
export type ConsentMode = (typeof CONSENT_MODES)[number];

export const PLACEHOLDER_AUTHELIA_URL = 'https://auth.example.com';
/** The README's path too: one name for the secret file everywhere an operator reads. */
export const PLACEHOLDER_SECRET_FILE = '/run/secrets/pocketbase_oidc';
export const REDIRECT_PATH = '/api/oauth2-redirect';

export interface ClientSettings {
  /** PocketBase's public URL, without trailing slash. */
  readonly pocketbaseUrl: string;
  /** Authelia's root URL; undefined prints a placeholder. */
  readonly autheliaUrl: string | undefined;
  readonly clientId: string;
  readonly clientName: string;
  readonly policy: string;
  readonly consent: ConsentMode;
  /** The scopes of the Authelia client, which are also what PocketBase must request. */
  readonly scopes: readonly string[];
  /** Why `scopes` differs from AUTHELIA_SCOPES, as comment lines. */
  readonly scopesNote: readonly string[];
  readonly pkce: boolean;
}

export type SecretSource =
  | { readonly kind: 'generated'; readonly suggestedFile: string; readonly replaces: string | undefined }
  | { readonly kind: 'file'; readonly path: string };

/** `https://PB.example.com:443/` → `https://pb.example.com`; a problem for anything but an http(s) URL without credentials, query or fragment. */
export function normalizePocketBaseUrl(raw: string): string | { problem: string } {
  const url = parseHttpUrl(raw.trim());
  if (url === undefined) {
    return { problem: `"${redactUrl(raw)}" is not an http(s) URL; use PocketBase's public URL, e.g. https://pb.example.com` };
  }
  if (url.userinfo !== undefined || url.query !== undefined || url.fragment !== undefined) {
    return { problem: `"${redactUrl(raw)}" must be an http(s) URL without credentials, query or fragment, e.g. https://pb.example.com` };
  }
  return `${origin(url)}${url.path}`.replace(/\/+$/, '');
}

export function redirectUri(pocketbaseUrl: string): string {
  return `${pocketbaseUrl.replace(/\/+$/, '')}${REDIRECT_PATH}`;
}

export const OFFLINE_ACCESS = 'offline_access';

/**
 * The client's scopes: what PocketBase requests, plus `groups`, which group sync needs, unless the
 * operator left it out on purpose (`--no-groups`), plus `offline_access` (the default; not with
 * `--no-offline-access`, which also takes it out of AUTHELIA_SCOPES). Every change is explained in `note`.
 */
export function clientScopes(requested: readonly string[], options: { withoutGroups: boolean; offlineAccess: boolean }): { scopes: string[]; note: string[] } {
  const note: string[] = [];
  const offlineRemoved = !options.offlineAccess && requested.includes(OFFLINE_ACCESS);
  const scopes = requested.filter((scope) => !(options.withoutGroups && scope === 'groups') && !(offlineRemoved && scope === OFFLINE_ACCESS));
  if (offlineRemoved) note.push('No "offline_access" (--no-offline-access): PocketBase can re-check users only while the login\'s access token lives (1 hour by default).');
  const groupsAdded = !options.withoutGroups && !requested.includes('groups');
  const offlineAdded = options.offlineAccess && !requested.includes(OFFLINE_ACCESS);
  if (options.withoutGroups) note.push('No "groups" scope (--no-groups): Authelia will not send groups, so group sync gives every user no groups.');
  if (groupsAdded) {
    scopes.push('groups');
    note.push('"groups" was added: AUTHELIA_SCOPES did not list it, and group sync needs it.');
  }
  if (offlineAdded) {
    scopes.push(OFFLINE_ACCESS);
    note.push('"offline_access" was added (the default; --no-offline-access leaves it out): PocketBase asks for a refresh token to',
      're-check users with Authelia for the whole session, not only while the login\'s access token lives.');
  }
  if (groupsAdded || offlineAdded || offlineRemoved) {
    note.push(`Set AUTHELIA_SCOPES as printed below${groupsAdded ? ', or rerun with --no-groups to leave groups out' : ''}.`);
  }
  return { scopes, note };
}

/** Printed with every client that has offline_access: its consent page shows in every consent mode. */
export const OFFLINE_CONSENT_CAVEAT = [
  'offline_access: Authelia issues a refresh token only after a consent the user gave, and shows its',
  'consent page for it whatever consent_mode says (implicit too); pre-configured lets users remember it.',
];

const CONSENT_COMMENT: Record<ConsentMode, string[]> = {
  explicit: [
    "explicit: Authelia asks for consent at every login, as with Authelia's default (auto) when no",
    'pre_configured_consent_duration is set. --consent pre-configured (the default) lets users remember their consent;',
    '--consent implicit never asks (only for your own apps: the OpenID Connect spec does not allow it).',
  ],
  implicit: [
    'implicit: consent is assumed and never asked (--consent implicit), except for offline_access, which',
    "Authelia always asks for. Not allowed by the OpenID Connect spec; Authelia's default asks at every login (explicit).",
  ],
  'pre-configured': [
    'pre-configured (the default here): users see the consent page once, may tick "remember" on it, and are',
    'not asked again for pre_configured_consent_duration. --consent explicit asks at every login.',
  ],
  auto: ['auto: explicit, or pre-configured when pre_configured_consent_duration is set.'],
};

/** The `identity_providers.oidc.clients` YAML for Authelia's configuration.yml. */
export function renderClientYaml(settings: ClientSettings, digest: string): string {
  const refresh = settings.scopes.includes('offline_access');
  const fields: YamlField[] = [
    { key: 'client_id', value: settings.clientId },
    { key: 'client_name', value: settings.clientName },
    { key: 'client_secret', value: digest, comment: ['Digest of the secret printed below (pbkdf2-sha512); Authelia never sees the secret itself.'] },
    { key: 'public', value: false },
    {
      key: 'authorization_policy',
      value: settings.policy,
      comment: ['one_factor, two_factor, or a policy from identity_providers.oidc.authorization_policies (which can deny groups).'],
    },
    ...(settings.pkce
      ? [{ key: 'require_pkce', value: true }, { key: 'pkce_challenge_method', value: 'S256' }]
      : [{ key: 'require_pkce', value: false, comment: ['AUTHELIA_PKCE is off. Turn it on (the default) and set require_pkce: true.'] }]),
    { key: 'redirect_uris', value: [redirectUri(settings.pocketbaseUrl)], comment: ['Exact match: PocketBase\'s public URL + /api/oauth2-redirect.'] },
    { key: 'scopes', value: settings.scopes, ...(settings.scopesNote.length ? { comment: settings.scopesNote } : {}) },
    { key: 'response_types', value: ['code'] },
    {
      key: 'grant_types',
      value: refresh ? ['authorization_code', 'refresh_token'] : ['authorization_code'],
      ...(refresh ? { comment: ['refresh_token: Authelia requires it with the offline_access scope.'] } : {}),
    },
    {
      key: 'token_endpoint_auth_method',
      value: 'client_secret_basic',
      comment: [
        'Preferred: PocketBase sends the secret with HTTP Basic first. client_secret_post works too (PocketBase',
        'retries with the secret in the body once Authelia refuses Basic), at the cost of that refused request per login.',
      ],
    },
    { key: 'userinfo_signed_response_alg', value: 'none' },
    { key: 'consent_mode', value: settings.consent, comment: [...CONSENT_COMMENT[settings.consent], ...(refresh ? OFFLINE_CONSENT_CAVEAT : [])] },
    ...(settings.consent === 'pre-configured' ? [{ key: 'pre_configured_consent_duration', value: '1w' }] : []),
  ];
  return [
    '# Authelia: add this client to configuration.yml (merge it into an existing',
    '# identity_providers.oidc.clients list), then restart Authelia.',
    'identity_providers:',
    '  oidc:',
    '    clients:',
    ...yamlListItem(fields, 6),
    '',
  ].join('\n');
}

/** The PocketBase variables, and the secret itself when it was generated (the only copy). */
export function renderPocketBaseLines(settings: ClientSettings, secret: string, source: SecretSource, tokenKey: string): string {
  const secretFile = source.kind === 'file' ? source.path : source.suggestedFile;
  const lines = ['# PocketBase: environment of the PocketBase process (then restart PocketBase).'];
  if (settings.autheliaUrl === undefined) lines.push("# Placeholder: set Authelia's root URL (its issuer), or rerun with --authelia-url.");
  lines.push(`AUTHELIA_URL=${settings.autheliaUrl ?? PLACEHOLDER_AUTHELIA_URL}`);
  lines.push(`AUTHELIA_CLIENT_ID=${settings.clientId}`);
  if (!sameSet(settings.scopes, DEFAULTS.AUTHELIA_SCOPES.split(' '))) lines.push(`AUTHELIA_SCOPES=${settings.scopes.join(' ')}`);
  if (!settings.pkce) lines.push('AUTHELIA_PKCE=false');
  if (source.kind === 'generated' && source.suggestedFile === PLACEHOLDER_SECRET_FILE) {
    lines.push('# A file holding only the secret below, readable by PocketBase alone (any path will do).');
  }
  lines.push(`AUTHELIA_CLIENT_SECRET_FILE=${secretFile}`);
  lines.push('# Encrypts the Authelia tokens PocketBase stores; a fresh one on every run. Keep the one you set:',
    '# another key makes the stored tokens unreadable until users sign in again. Keep it secret (AUTHELIA_TOKEN_KEY_FILE works too).');
  lines.push(`AUTHELIA_TOKEN_KEY=${tokenKey}`);
  lines.push('');
  if (source.kind === 'file') {
    lines.push(`# The client secret is the one in ${source.path}; it was not changed and is not repeated here.`);
    return lines.join('\n') + '\n';
  }
  lines.push('# ===== CLIENT SECRET: shown only this once, saved nowhere =====');
  lines.push(`# Write the next line, alone, into ${secretFile}.`);
  if (source.replaces !== undefined) {
    lines.push(`# This is a NEW secret. To keep the current one, rerun with --secret-file ${source.replaces}.`);
  }
  lines.push('# To print the digest again later: authelia-config --secret-file <that file>.');
  lines.push(secret);
  lines.push('# ===== END OF CLIENT SECRET =====');
  return lines.join('\n') + '\n';
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item) => b.includes(item));
}

export interface ConfigArgs {
  readonly pocketbaseUrl: string;
  readonly autheliaUrl?: string | undefined;
  readonly clientId?: string | undefined;
  readonly clientName?: string | undefined;
  readonly policy?: string | undefined;
  readonly consent?: string | undefined;
  readonly scopes?: string | undefined;
  readonly noGroups?: boolean | undefined;
  /** `--no-offline-access`: leave offline_access out (it is on by default). */
  readonly noOfflineAccess?: boolean | undefined;
  readonly secretFile?: string | undefined;
}

export interface Io {
  readonly env: EnvSource;
  readonly readFile: ReadTextFile;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

// Variables authelia-config reads, and the flags that override them.
const OVERRIDES = [
  ['AUTHELIA_URL', 'autheliaUrl', '--authelia-url'],
  ['AUTHELIA_CLIENT_ID', 'clientId', '--client-id'],
  ['AUTHELIA_SCOPES', 'scopes', '--scopes'],
  ['AUTHELIA_PKCE', undefined, undefined],
] as const;

/** Returns the exit code: 0 printed, 1 invalid settings. */
export function runAutheliaConfig(args: ConfigArgs, io: Io): number {
  const problems: string[] = [];
  const pocketbaseUrl = normalizePocketBaseUrl(args.pocketbaseUrl);
  if (typeof pocketbaseUrl !== 'string') problems.push(`--pocketbase-url: ${pocketbaseUrl.problem}`);

  // Validate with the extension's own rules: only the variables this command uses, so an unrelated
  // mistake elsewhere is left to `check`.
  const env: Record<string, string | undefined> = {};
  const flagFor = new Map<string, string>();
  for (const [name, key, flag] of OVERRIDES) {
    const fromFlag = key === undefined ? undefined : args[key];
    if (fromFlag !== undefined && flag !== undefined) {
      env[name] = fromFlag;
      flagFor.set(name, flag);
    } else {
      env[name] = io.env[name];
      env[`${name}_FILE`] = io.env[`${name}_FILE`];
    }
  }
  const placeholderUrl = !env['AUTHELIA_URL']?.trim() && !env['AUTHELIA_URL_FILE']?.trim();
  if (placeholderUrl) env['AUTHELIA_URL'] = PLACEHOLDER_AUTHELIA_URL;
  env['AUTHELIA_CLIENT_SECRET'] = 'not-used-here';
  const parsed = parseConfig(env, io.readFile);
  if (parsed.status === 'invalid') {
    for (const issue of parsed.issues) {
      const flag = flagFor.get(issue.variable);
      problems.push(`${flag ? `${flag} (${issue.variable})` : issue.variable}: ${issue.message}`);
    }
  }

  const policy = args.policy ?? 'two_factor';
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(policy)) problems.push(`--policy: "${policy}" must be one_factor, two_factor or the name of an authorization policy`);
  const consent = args.consent ?? 'pre-configured';
  if (!(CONSENT_MODES as readonly string[]).includes(consent)) problems.push(`--consent: "${consent}" must be one of ${CONSENT_MODES.join(', ')}`);
  // The strongest bound the README documents: checks for the whole session, not only the first hour.
  const offlineAccess = args.noOfflineAccess !== true;
  const clientName = args.clientName ?? 'PocketBase';
  if (!clientName.trim() || clientName.length > 100 || /[\u0000-\u001f\u007f]/.test(clientName)) {
    problems.push('--client-name: must be 1 to 100 printable characters');
  }

  let secret: string | undefined;
  if (args.secretFile !== undefined) {
    try {
      secret = io.readFile(args.secretFile).trim();
    } catch {
      problems.push(`--secret-file: cannot read "${args.secretFile}"`);
    }
    if (secret === '') problems.push(`--secret-file: "${args.secretFile}" is empty`);
  }

  if (problems.length > 0 || parsed.status !== 'valid' || typeof pocketbaseUrl !== 'string' || (args.secretFile !== undefined && !secret)) {
    for (const problem of problems) io.err(`error: ${problem}\n`);
    return 1;
  }
  const config = parsed.config;
  if (secret !== undefined && secret.length < MIN_SECRET_LENGTH) {
    io.err(`warning: the secret in ${args.secretFile} has ${secret.length} characters; Authelia recommends at least ${MIN_SECRET_LENGTH} random ones\n`);
  }

  const { scopes, note } = clientScopes(config.scopes, { withoutGroups: args.noGroups === true, offlineAccess });
  const settings: ClientSettings = {
    pocketbaseUrl,
    autheliaUrl: placeholderUrl ? undefined : config.issuer,
    clientId: config.clientId,
    clientName,
    policy,
    consent: consent as ConsentMode,
    scopes,
    scopesNote: note,
    pkce: config.pkce,
  };
  const currentFile = io.env['AUTHELIA_CLIENT_SECRET_FILE']?.trim() || undefined;
  const source: SecretSource = args.secretFile !== undefined
    ? { kind: 'file', path: args.secretFile }
    : { kind: 'generated', suggestedFile: currentFile ?? PLACEHOLDER_SECRET_FILE, replaces: currentFile };
  secret ??= generateSecret();
  io.out(renderClientYaml(settings, pbkdf2Digest(secret)));
  io.out('\n');
  io.out(renderPocketBaseLines(settings, secret, source, generateTokenKey()));
  return 0;
}
