import * as z from 'zod/mini';
import { resolveEnv, type EnvSource, type ReadTextFile } from './env-rules.js';
import type { ConfigIssue } from './errors.js';
import { parseRoles, type RoleRule } from '../login/roles.js';
import { cronProblem, normalizeCron } from './cron.js';
import { parseDuration } from './duration.js';
import { parseHttpUrl, redactUrl } from './urls.js';
import { DEFAULTS, PROVIDER_SLOTS, VARIABLES, type ProviderSlot } from './variables.js';

export type { ProviderSlot } from './variables.js';


/** The validated configuration. Built once at boot; never mutated. */
export interface Config {
  /** `AUTHELIA_URL` without trailing slash: Authelia's issuer. */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly displayName: string;
  /** Name or id of the auth collection. */
  readonly collection: string;
  readonly provider: ProviderSlot;
  readonly scopes: readonly string[];
  readonly pkce: boolean;
  readonly groupsClaim: string;
  /** JSON list of names, for frontends. */
  readonly groupsField: string;
  /** Holds one record per group name; `membershipField` relates to it. */
  readonly groupsCollection: string;
  /** Relation to `groupsCollection`: what API rules test exactly. */
  readonly membershipField: string;
  /** Empty: anyone Authelia lets in may log in. */
  readonly allowedGroups: readonly string[];
  /** Empty: no roles field is managed. */
  readonly roles: readonly RoleRule[];
  /** Managed only when `roles` is not empty. */
  readonly rolesField: string;
  /** Bring name, verified email and avatar URL up to date at every login. */
  readonly syncProfile: boolean;
  /** Records linked to Authelia sign in only through it (no password, OTP or other OAuth2). */
  readonly autheliaOnly: boolean;
  /**
   * A login with a new `sub` whose Authelia username and verified email are those kept for a linked
   * record moves that record's link to it (Authelia's storage was reset). `false`: refused, as any
   * other account with the record's email.
   * @default true
   */
  readonly relink: boolean;
  readonly strict: boolean;
  readonly discoveryTimeoutSeconds: number;
  /** Checks with Authelia after the login: AUTHELIA_REVALIDATE_AFTER, AUTHELIA_MAX_SESSION, AUTHELIA_SWEEP, AUTHELIA_TOKEN_KEY. */
  readonly revalidation: RevalidationConfig;
  /** AUTHELIA_SIGN_OUT_REDIRECT: where Authelia's portal sends the browser after signing out; `null`: its own page. */
  readonly signOutRedirect: string | null;
}

export interface RevalidationConfig {
  /** `0`: auth-refresh does not ask Authelia. */
  readonly revalidateAfterSeconds: number;
  readonly maxSessionSeconds: number;
  /** PocketBase cron expression, whitespace normalized; `null`: no sweep. */
  readonly sweep: string | null;
  /** AUTHELIA_TOKEN_KEY (or its _FILE); `null`: the vault key is made at boot and held in memory only. */
  readonly tokenKey: string | null;
}

export type ConfigResult =
  | { readonly status: 'disabled'; readonly strict: boolean }
  | { readonly status: 'valid'; readonly config: Config; readonly warnings: readonly string[] }
  | { readonly status: 'invalid'; readonly issues: readonly ConfigIssue[]; readonly strict: boolean };

// Fields every auth record already has: overwriting them would break logins.
const RESERVED_FIELDS = new Set([
  'id', 'password', 'tokenKey', 'email', 'emailVisibility', 'verified',
  'created', 'updated', 'collectionId', 'collectionName', 'expand',
]);

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

/** What a validator returns instead of a value when the value is wrong. */
interface Problem {
  readonly problem: string;
}

/**
 * A string variable turned into a value by a plain function. zod/mini keeps the
 * boot bundle small (the full zod costs goja 100 ms and more to load).
 */
function variable<T>(convert: (value: string) => T | Problem) {
  return z.pipe(
    z.string(),
    z.transform((value: string, ctx) => {
      const result = convert(value);
      if (typeof result === 'object' && result !== null && 'problem' in result) {
        ctx.issues.push({ code: 'custom', message: result.problem, input: value });
        return z.NEVER;
      }
      return result as Exclude<T, Problem>;
    }),
  );
}

function checked(test: (value: string) => boolean, problem: string) {
  return variable((value) => (test(value) ? value : { problem }));
}

const boolean = variable((value) => {
  const word = value.toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return { problem: `"${value}" is not a boolean; use true or false (also 1/0, yes/no, on/off)` };
});

// Quoted only through redactUrl: a mistyped value may still hold a password.
const issuer = variable((value) => {
  const url = parseHttpUrl(value);
  if (url !== undefined && url.userinfo !== undefined) {
    return { problem: `"${redactUrl(value)}" holds a user name or password, which Authelia's issuer never has (and PocketBase would hand it to every client); remove it, e.g. https://auth.example.com` };
  }
  if (url === undefined || url.query !== undefined || url.fragment !== undefined) {
    return { problem: `"${redactUrl(value)}" is not an http(s) URL without query or fragment; use Authelia's root URL, e.g. https://auth.example.com` };
  }
  return value.replace(/\/+$/, '');
});

const fieldName = variable((value) => {
  if (!/^\w{1,100}$/.test(value)) return { problem: 'must be a field name of letters, digits and "_" (at most 100)' };
  if (RESERVED_FIELDS.has(value)) return { problem: 'is a field every auth record already uses; pick another name, e.g. groups' };
  return value;
});

const claimName = checked((value) => /^[^\s"]{1,200}$/.test(value), 'must be a claim name without spaces or quotes, e.g. groups');

const scopeList = variable((value) => {
  const scopes = [...new Set(value.split(/[\s,]+/).filter(Boolean))];
  // RFC 6749 section 3.3: scope tokens are printable ASCII without space, '"' and '\'.
  const bad = scopes.find((scope) => !/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(scope));
  if (bad !== undefined) return { problem: `"${bad}" is not a valid scope name` };
  if (!scopes.includes('openid')) return { problem: 'must include "openid"; e.g. openid email profile groups' };
  // Without it, Authelia's answer for a live user can look like its answer for a removed one (or for
  // its user backend being down): `preferred_username` is the one claim every live answer carries
  // and the fallback never does (email is missing for a user without an address).
  if (!scopes.includes('profile')) {
    return { problem: 'must include "profile": its preferred_username claim is what shows that Authelia looked the user up, so without it a removed user cannot be told from a live one; e.g. openid email profile groups' };
  }
  return scopes;
});

const groupList = variable((value) => [...new Set(value.split(',').map((group) => group.trim()).filter(Boolean))]);

const roleRules = variable((value): readonly RoleRule[] | Problem => {
  const parsed = parseRoles(value);
  return 'problem' in parsed ? parsed : parsed.rules;
});

const timeoutSeconds = variable((value) => {
  const seconds = Number(value);
  return /^\d+$/.test(value) && seconds >= 1 && seconds <= 60 ? seconds : { problem: `"${value}" must be a whole number of seconds from 1 to 60` };
});

const providerSlot = variable((value) =>
  (PROVIDER_SLOTS as readonly string[]).includes(value) ? (value as ProviderSlot) : { problem: `must be one of ${PROVIDER_SLOTS.join(', ')}` },
);

/** Seconds; `0` or `off` turns revalidation at auth-refresh off. */
const revalidateAfter = variable((value) => {
  if (value.toLowerCase() === 'off') return 0;
  const parsed = parseDuration(value);
  return 'problem' in parsed ? { problem: `${parsed.problem}; or 0 or off to turn revalidation off` } : parsed.seconds;
});

const maxSession = variable((value) => {
  const parsed = parseDuration(value);
  if ('problem' in parsed) return parsed;
  return parsed.seconds > 0 ? parsed.seconds : { problem: 'must be longer than 0, e.g. 24h: it is how long a session may go on while Authelia cannot be asked' };
});

/** `null` when the background sweep is off. */
const sweep = variable((value): string | null | Problem => {
  if (value.toLowerCase() === 'off') return null;
  const problem = cronProblem(value);
  return problem === undefined ? normalizeCron(value) : { problem: `${problem}; or off to turn the sweep off` };
});

// $security.encrypt takes exactly 32 characters (AES-256).
const tokenKey = checked((value) => value.length === 32, 'must be exactly 32 characters (e.g. the output of openssl rand -hex 16); or unset it to keep tokens under a key held in memory only (lost at every restart)');

// Quoted only through redactUrl, like AUTHELIA_URL.
const signOutRedirect = variable((value) => {
  const url = parseHttpUrl(value);
  if (url === undefined || url.userinfo !== undefined) {
    return { problem: `"${redactUrl(value)}" is not an http(s) URL without user name or password; use where the browser goes after signing out, e.g. https://app.example.com/` };
  }
  return value;
});

const schema = z.object({
  AUTHELIA_URL: issuer,
  AUTHELIA_CLIENT_ID: checked((value) => !/\s/.test(value), 'must not contain spaces'),
  // Presence is checked by hand below, for a message that says where to put it.
  AUTHELIA_CLIENT_SECRET: z.optional(z.string()),
  AUTHELIA_DISPLAY_NAME: checked((value) => value.length <= 100, 'must be at most 100 characters'),
  AUTHELIA_COLLECTION: checked((value) => /^\w{1,100}$/.test(value), 'must be the name or id of an auth collection, e.g. users'),
  AUTHELIA_PROVIDER: providerSlot,
  AUTHELIA_SCOPES: scopeList,
  AUTHELIA_PKCE: boolean,
  AUTHELIA_GROUPS_CLAIM: claimName,
  AUTHELIA_GROUPS_FIELD: fieldName,
  AUTHELIA_GROUPS_COLLECTION: checked(
    (value) => /^[A-Za-z]\w{0,99}$/.test(value),
    'must be a collection name of letters, digits and "_", starting with a letter',
  ),
  AUTHELIA_MEMBERSHIP_FIELD: fieldName,
  AUTHELIA_ALLOWED_GROUPS: groupList,
  AUTHELIA_SYNC_PROFILE: boolean,
  AUTHELIA_ONLY: boolean,
  AUTHELIA_RELINK: boolean,
  AUTHELIA_ROLES: roleRules,
  AUTHELIA_ROLES_FIELD: fieldName,
  AUTHELIA_STRICT: boolean,
  AUTHELIA_DISCOVERY_TIMEOUT: timeoutSeconds,
  AUTHELIA_REVALIDATE_AFTER: revalidateAfter,
  AUTHELIA_MAX_SESSION: maxSession,
  AUTHELIA_SWEEP: sweep,
  AUTHELIA_TOKEN_KEY: z.optional(tokenKey),
  AUTHELIA_SIGN_OUT_REDIRECT: z.optional(signOutRedirect),
});

/**
 * Turns the environment into a `Config`, or into the complete list of problems.
 * Pure: the environment and the file reader are passed in.
 */
export function parseConfig(env: EnvSource, readFile: ReadTextFile): ConfigResult {
  const resolved = resolveEnv(VARIABLES, env, readFile);
  const reported = (variable: string, issues: readonly ConfigIssue[]) =>
    issues.some((issue) => issue.variable === variable || issue.variable === `${variable}_FILE`);
  // An unreadable AUTHELIA_STRICT counts as strict: whoever set it wanted care.
  const strict = reported('AUTHELIA_STRICT', resolved.issues) || strictness(resolved.values.AUTHELIA_STRICT);
  if (resolved.values.AUTHELIA_URL === undefined && !reported('AUTHELIA_URL', resolved.issues)) {
    return { status: 'disabled', strict };
  }

  const input: Record<string, string | undefined> = {};
  for (const name of VARIABLES) {
    input[name] = resolved.values[name] ?? DEFAULTS[name];
  }
  const issues: ConfigIssue[] = [...resolved.issues];
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const variable = String(issue.path[0]);
      // A variable that failed to resolve (e.g. unreadable _FILE) is reported once.
      if (!reported(variable, issues)) {
        issues.push({ variable, message: issue.message });
      }
    }
  }
  if (resolved.values.AUTHELIA_CLIENT_SECRET === undefined && !reported('AUTHELIA_CLIENT_SECRET', issues)) {
    issues.push({
      variable: 'AUTHELIA_CLIENT_SECRET',
      message: 'is required; set AUTHELIA_CLIENT_SECRET or AUTHELIA_CLIENT_SECRET_FILE to the secret registered in Authelia',
    });
  }
  for (const clash of fieldClashes(input)) {
    if (!reported(clash.variable, issues)) issues.push(clash);
  }
  if (!parsed.success || issues.length > 0) {
    return { status: 'invalid', issues, strict };
  }

  const values = parsed.data;
  const config: Config = {
    issuer: values.AUTHELIA_URL,
    clientId: values.AUTHELIA_CLIENT_ID,
    clientSecret: values.AUTHELIA_CLIENT_SECRET ?? '',
    displayName: values.AUTHELIA_DISPLAY_NAME,
    collection: values.AUTHELIA_COLLECTION,
    provider: values.AUTHELIA_PROVIDER,
    scopes: values.AUTHELIA_SCOPES,
    pkce: values.AUTHELIA_PKCE,
    groupsClaim: values.AUTHELIA_GROUPS_CLAIM,
    groupsField: values.AUTHELIA_GROUPS_FIELD,
    groupsCollection: values.AUTHELIA_GROUPS_COLLECTION,
    membershipField: values.AUTHELIA_MEMBERSHIP_FIELD,
    allowedGroups: values.AUTHELIA_ALLOWED_GROUPS,
    roles: values.AUTHELIA_ROLES,
    rolesField: values.AUTHELIA_ROLES_FIELD,
    syncProfile: values.AUTHELIA_SYNC_PROFILE,
    autheliaOnly: values.AUTHELIA_ONLY,
    relink: values.AUTHELIA_RELINK,
    strict: values.AUTHELIA_STRICT,
    discoveryTimeoutSeconds: values.AUTHELIA_DISCOVERY_TIMEOUT,
    revalidation: {
      revalidateAfterSeconds: values.AUTHELIA_REVALIDATE_AFTER,
      maxSessionSeconds: values.AUTHELIA_MAX_SESSION,
      sweep: values.AUTHELIA_SWEEP,
      tokenKey: values.AUTHELIA_TOKEN_KEY ?? null,
    },
    signOutRedirect: values.AUTHELIA_SIGN_OUT_REDIRECT ?? null,
  };
  return { status: 'valid', config, warnings: configWarnings(config) };
}

/** Each managed field needs a name of its own; checked on the raw values so it is reported with every other problem. */
function fieldClashes(input: Readonly<Record<string, string | undefined>>): ConfigIssue[] {
  const groups = input['AUTHELIA_GROUPS_FIELD'];
  const membership = input['AUTHELIA_MEMBERSHIP_FIELD'];
  const roles = input['AUTHELIA_ROLES_FIELD'];
  const clashes: ConfigIssue[] = [];
  if (membership === groups) {
    clashes.push({ variable: 'AUTHELIA_MEMBERSHIP_FIELD', message: `must differ from AUTHELIA_GROUPS_FIELD ("${groups}")` });
  }
  if (input['AUTHELIA_ROLES'] && (roles === groups || roles === membership)) {
    clashes.push({ variable: 'AUTHELIA_ROLES_FIELD', message: `must differ from AUTHELIA_GROUPS_FIELD ("${groups}") and AUTHELIA_MEMBERSHIP_FIELD ("${membership}")` });
  }
  return clashes;
}

function strictness(value: string | undefined): boolean {
  if (value === undefined) return false;
  return !FALSE_WORDS.has(value.toLowerCase());
}

function configWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (config.groupsClaim === 'groups' && !config.scopes.includes('groups')) {
    warnings.push('AUTHELIA_SCOPES lacks "groups": Authelia will not send the groups claim, so every user will have no groups');
  }
  if (!config.pkce) {
    warnings.push('AUTHELIA_PKCE is off: Authelia clients usually require PKCE (require_pkce: true)');
  }
  return warnings;
}
