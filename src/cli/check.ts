// `pocketbase-authelia check`: everything the extension will meet at boot, checked before the
// operator restarts PocketBase. One line per check; any error makes the exit code 1.
import { randomBytes } from 'node:crypto';
import { parseConfig, type Config } from '../core/config.js';
import { DISCOVERY_PATH, fallbackEndpoints, stringList } from '../core/discovery.js';
import type { EnvSource, ReadTextFile } from '../core/env.js';
import { redirectUri } from './authelia-config.js';

export type Level = 'ok' | 'warn' | 'error' | 'info';

export interface CheckLine {
  readonly level: Level;
  /** What was checked: a variable or a discovery field. */
  readonly subject: string;
  readonly message: string;
}

export function formatLine(line: CheckLine): string {
  return `${line.level.padEnd(5)} ${line.subject}: ${line.message}`;
}

export interface CheckDeps {
  readonly env: EnvSource;
  readonly readFile: ReadTextFile;
  readonly fetch: typeof fetch;
  /** Normalized PocketBase URL: prints the redirect URI Authelia must list. */
  readonly pocketbaseUrl?: string | undefined;
}

const line = (level: Level, subject: string, message: string): CheckLine => ({ level, subject, message });

export async function runChecks(deps: CheckDeps): Promise<CheckLine[]> {
  const lines: CheckLine[] = [];
  if (deps.pocketbaseUrl !== undefined) {
    lines.push(line('info', 'redirect_uris', `Authelia's client must list ${redirectUri(deps.pocketbaseUrl)} (exact match)`));
  }
  const parsed = parseConfig(deps.env, deps.readFile);
  if (parsed.status === 'disabled') {
    lines.push(line('error', 'AUTHELIA_URL', "is not set, so the extension stays disabled; set it to Authelia's root URL, e.g. https://auth.example.com"));
    return lines;
  }
  if (parsed.status === 'invalid') {
    for (const issue of parsed.issues) lines.push(line('error', issue.variable, issue.message));
    return lines;
  }
  const { config } = parsed;
  lines.push(line('ok', 'config', `the AUTHELIA_* variables are valid (client "${config.clientId}", scopes ${config.scopes.join(' ')})`));
  for (const warning of parsed.warnings) lines.push(line('warn', 'config', warning));
  if (config.issuer.toLowerCase().startsWith('http:')) {
    lines.push(line('warn', 'AUTHELIA_URL', 'uses http: real Authelia serves OpenID Connect only over https; use its https URL'));
  }

  const fetched = await fetchDiscovery(deps.fetch, config);
  if ('problem' in fetched) {
    lines.push(line('error', 'discovery', fetched.problem));
    return lines;
  }
  lines.push(line('ok', 'discovery', `read ${config.issuer}${DISCOVERY_PATH}`));
  const checked = checkDiscovery(fetched.document, config);
  lines.push(...checked);
  if (checked.every((item) => item.level !== 'error')) {
    const token = (fetched.document as Record<string, unknown>)['token_endpoint'] as string;
    lines.push(await probeClient(deps.fetch, config, token));
  }
  return lines;
}

async function fetchDiscovery(fetcher: typeof fetch, config: Config): Promise<{ document: unknown } | { problem: string }> {
  const url = config.issuer + DISCOVERY_PATH;
  let response: Response;
  try {
    response = await fetcher(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(config.discoveryTimeoutSeconds * 1000) });
  } catch (error) {
    return {
      problem: `cannot reach Authelia at ${url} (${describeFetchError(error, config.discoveryTimeoutSeconds)}); ` +
        'start Authelia or fix AUTHELIA_URL: PocketBase must reach it at this URL',
    };
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    return {
      problem: `${url} answered HTTP ${response.status}; AUTHELIA_URL must be Authelia's root URL ` +
        '(its issuer, where /.well-known/openid-configuration is served), e.g. https://auth.example.com',
    };
  }
  try {
    return { document: await response.json() };
  } catch {
    return { problem: `${url} did not answer JSON; is AUTHELIA_URL Authelia's root URL, and not its login portal behind a proxy rule?` };
  }
}

function describeFetchError(error: unknown, timeoutSeconds: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer within AUTHELIA_DISCOVERY_TIMEOUT=${timeoutSeconds}s`;
  }
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === 'string') return typeof cause.message === 'string' ? cause.message : cause.code;
  return error instanceof Error ? error.message : String(error);
}

const ENDPOINTS = [
  ['authorization_endpoint', 'authURL'],
  ['token_endpoint', 'tokenURL'],
  ['userinfo_endpoint', 'userInfoURL'],
] as const;

/** Pure: the discovery document against the configuration. */
export function checkDiscovery(document: unknown, config: Config): CheckLine[] {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    return [line('error', 'discovery', 'the discovery document is not a JSON object; is AUTHELIA_URL Authelia?')];
  }
  const doc = document as Readonly<Record<string, unknown>>;
  const lines: CheckLine[] = [];

  if (doc['issuer'] === config.issuer) {
    lines.push(line('ok', 'issuer', `${config.issuer} matches AUTHELIA_URL`));
  } else if (typeof doc['issuer'] === 'string') {
    lines.push(line('error', 'issuer', `Authelia's issuer is ${doc['issuer']}, not AUTHELIA_URL=${config.issuer}; ` +
      `set AUTHELIA_URL=${doc['issuer']} (exactly), or fix Authelia's URL behind your proxy`));
  } else {
    lines.push(line('error', 'issuer', 'the discovery document names no issuer; is AUTHELIA_URL Authelia?'));
  }

  const standard = fallbackEndpoints(config.issuer);
  for (const [claim, key] of ENDPOINTS) {
    const value = doc[claim];
    if (typeof value !== 'string' || !/^https?:\/\/[^\s/?#@]+(\/\S*)?$/i.test(value)) {
      lines.push(line('error', claim, 'missing or not an http(s) URL; PocketBase would fall back to Authelia\'s standard paths'));
    } else if (value === standard[key]) {
      lines.push(line('ok', claim, `${value} (Authelia's standard path)`));
    } else {
      lines.push(line('warn', claim, `${value} is not Authelia's standard ${standard[key]}: if Authelia is down when PocketBase ` +
        'starts, the extension falls back to the standard path, which will not work here'));
    }
  }

  const scopes = stringList(doc['scopes_supported']);
  if (!scopes) {
    lines.push(line('warn', 'scopes_supported', 'not in the discovery document; the scopes could not be checked'));
  } else {
    if (scopes.includes('groups')) {
      lines.push(line('ok', 'groups', 'Authelia offers the groups scope'));
    } else {
      const wanted = config.scopes.includes('groups');
      lines.push(line(wanted ? 'error' : 'warn', 'groups', 'Authelia does not offer the groups scope' +
        (wanted ? '; it will refuse logins with invalid_scope: use an Authelia that does (4.38+), or remove groups from AUTHELIA_SCOPES'
          : ', so no groups will sync')));
    }
    // Authelia advertises every scope it can grant and refuses the others with invalid_scope, so an
    // unadvertised scope is an error, not a warning.
    const missing = config.scopes.filter((scope) => scope !== 'groups' && !scopes.includes(scope));
    if (missing.length > 0) {
      lines.push(line('error', 'AUTHELIA_SCOPES', `Authelia does not offer ${missing.join(', ')}; it would refuse every login ` +
        `with invalid_scope: remove ${missing.length > 1 ? 'them' : 'it'} from AUTHELIA_SCOPES, or define ${missing.length > 1 ? 'them' : 'it'} in Authelia`));
    } else {
      lines.push(line('ok', 'AUTHELIA_SCOPES', `Authelia offers ${config.scopes.join(', ')}`));
    }
  }

  const authMethods = stringList(doc['token_endpoint_auth_methods_supported']);
  if (!authMethods) {
    // OpenID Connect Discovery: when absent, the default is client_secret_basic.
    lines.push(line('ok', 'token_endpoint_auth_methods_supported', 'not listed; client_secret_basic is the default'));
  } else if (authMethods.includes('client_secret_basic')) {
    lines.push(line('ok', 'token_endpoint_auth_methods_supported', 'includes client_secret_basic, which PocketBase uses'));
  } else {
    lines.push(line('error', 'token_endpoint_auth_methods_supported', `lacks client_secret_basic (PocketBase's only method): got ${authMethods.join(', ')}`));
  }

  if (config.pkce) {
    const challenges = stringList(doc['code_challenge_methods_supported']);
    if (challenges?.includes('S256')) {
      lines.push(line('ok', 'code_challenge_methods_supported', 'includes S256 (AUTHELIA_PKCE is on)'));
    } else {
      lines.push(line('error', 'code_challenge_methods_supported', 'lacks S256 although AUTHELIA_PKCE is on; ' +
        'Authelia always offers it, so check that AUTHELIA_URL is Authelia'));
    }
  }
  return lines;
}

/**
 * Authenticates at the token endpoint with an invalid code, as PocketBase would (basic auth): a
 * wrong id or secret gets `invalid_client`, right ones get past authentication to `invalid_grant`.
 * Nothing is created; Authelia logs a failed client authentication when the secret is wrong.
 */
async function probeClient(fetcher: typeof fetch, config: Config, tokenUrl: string): Promise<CheckLine> {
  // RFC 6749 section 2.3.1: id and secret are form-urlencoded before base64, as PocketBase (Go) does.
  const form = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  const basic = Buffer.from(`${form(config.clientId)}:${form(config.clientSecret)}`).toString('base64');
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code: `pocketbase-authelia-check-${randomBytes(16).toString('hex')}`,
    redirect_uri: `${config.issuer}/pocketbase-authelia-check`,
    ...(config.pkce ? { code_verifier: randomBytes(32).toString('base64url') } : {}),
  });
  let status: number;
  let error: unknown;
  try {
    const response = await fetcher(tokenUrl, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
      signal: AbortSignal.timeout(config.discoveryTimeoutSeconds * 1000),
    });
    status = response.status;
    error = ((await response.json().catch(() => ({}))) as { error?: unknown }).error;
  } catch (err) {
    return line('warn', 'client', `could not try the client id and secret at ${tokenUrl} (${describeFetchError(err, config.discoveryTimeoutSeconds)})`);
  }
  if (error === 'invalid_client') {
    return line('error', 'client', `Authelia refused client "${config.clientId}" and its secret (invalid_client): register the client ` +
      '(authelia-config prints it) with the digest of AUTHELIA_CLIENT_SECRET and token_endpoint_auth_method: client_secret_basic');
  }
  if (status >= 400 && status < 500 && typeof error === 'string') {
    return line('ok', 'client', `Authelia accepted client "${config.clientId}" and its secret (a test with an invalid code got ${error})`);
  }
  return line('warn', 'client', `could not tell whether Authelia accepts the client id and secret (HTTP ${status}${typeof error === 'string' ? `, ${error}` : ''})`);
}

export function summary(lines: readonly CheckLine[]): string {
  const errors = lines.filter((item) => item.level === 'error').length;
  const warnings = lines.filter((item) => item.level === 'warn').length;
  const counts = `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
  return errors > 0 ? `${counts}: fix the errors before restarting PocketBase` : `${counts}: PocketBase can use this Authelia`;
}
