// `pocketbase-authelia check`: everything the extension will meet at boot, checked before the
// operator restarts PocketBase. One line per check; any error makes the exit code 1.
import { randomBytes } from 'node:crypto';
import { parseConfig, type Config } from '../core/boot/config.js';
import { DISCOVERY_PATH, ENDPOINT_CLAIMS, fallbackEndpoints, judgeEndpoint, stringList, tokenEndpointAuth } from '../core/boot/discovery-rules.js';
import { redactUrl, sameOrigin } from '../core/boot/urls.js';
import type { EnvSource, ReadTextFile } from '../core/boot/env-rules.js';
import { certificateAdvice, certificateProblem } from '../core/boot/tls-advice.js';
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
  const extraCa = deps.env['NODE_EXTRA_CA_CERTS']?.trim();
  if (extraCa && config.issuer.toLowerCase().startsWith('https:')) {
    lines.push(line('info', 'NODE_EXTRA_CA_CERTS', `this check also trusted the CA in ${extraCa}; PocketBase does not read this variable: ` +
      'give it the same CA with SSL_CERT_FILE (or SSL_CERT_DIR) when Authelia\'s certificate comes from a private CA'));
  }
  const checked = checkDiscovery(fetched.document, config);
  lines.push(...checked);
  const doc = fetched.document as Readonly<Record<string, unknown>>;
  const token = judgeEndpoint(doc['token_endpoint'], config.issuer);
  if (doc['issuer'] === config.issuer && token.kind === 'off-origin') {
    // The same rule as boot: the secret goes to Authelia's origin or nowhere.
    lines.push(line('error', 'client', `not tried: the client secret is sent only to AUTHELIA_URL's origin ${token.issuerOrigin}, ` +
      `and the discovery document's token_endpoint ${redactUrl(token.url)} is off it`));
  } else if (token.kind === 'usable' && checked.every((item) => item.level !== 'error')) {
    const client = await probeClient(deps.fetch, config, token.url);
    lines.push(client);
    if (client.level === 'ok') {
      const revocation = judgeEndpoint(doc['revocation_endpoint'], config.issuer);
      lines.push(await probeRevocation(deps.fetch, config, revocation.kind === 'unusable' ? `${config.issuer}/api/oidc/revocation` : revocation.url));
    }
  }
  return lines;
}

async function fetchDiscovery(fetcher: typeof fetch, config: Config): Promise<{ document: unknown } | { problem: string }> {
  const url = config.issuer + DISCOVERY_PATH;
  let response: Response;
  try {
    response = await fetcher(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(config.discoveryTimeoutSeconds * 1000) });
  } catch (error) {
    const detail = describeFetchError(error, config.discoveryTimeoutSeconds);
    const certificate = tlsProblem(error);
    if (certificate !== undefined) return { problem: `cannot read ${url} (${detail}): ${certificateAdvice(certificate, 'cli')}` };
    return {
      problem: `cannot reach Authelia at ${url} (${detail}); ` +
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

/** A certificate problem behind a failed fetch (Node puts OpenSSL's verify code on the cause). */
function tlsProblem(error: unknown) {
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  return certificateProblem(typeof cause?.message === 'string' ? cause.message : '', code);
}

function describeFetchError(error: unknown, timeoutSeconds: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer within AUTHELIA_DISCOVERY_TIMEOUT=${timeoutSeconds}s`;
  }
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === 'string') return typeof cause.message === 'string' ? cause.message : cause.code;
  return error instanceof Error ? error.message : String(error);
}

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
    const named = redactUrl(doc['issuer']);
    lines.push(line('error', 'issuer', `Authelia's issuer is ${named}, not AUTHELIA_URL=${config.issuer}; ` +
      `set AUTHELIA_URL=${named} (exactly), or fix Authelia's URL behind your proxy`));
  } else {
    lines.push(line('error', 'issuer', 'the discovery document names no issuer; is AUTHELIA_URL Authelia?'));
  }

  const standard = fallbackEndpoints(config.issuer);
  for (const [key, claim] of ENDPOINT_CLAIMS) {
    const verdict = judgeEndpoint(doc[claim], config.issuer);
    if (verdict.kind === 'unusable') {
      lines.push(line('error', claim, 'missing, not an http(s) URL, or with credentials in it; PocketBase would fall back to Authelia\'s standard paths'));
    } else if (verdict.kind === 'off-origin') {
      lines.push(line('error', claim, `${redactUrl(verdict.url)} is off AUTHELIA_URL's origin ${verdict.issuerOrigin}, where Authelia serves every ` +
        `endpoint: PocketBase would ignore the whole document and use Authelia's standard paths under ${config.issuer}; ` +
        'fix the proxy that rewrites the document, or AUTHELIA_URL if it is not Authelia'));
    } else if (verdict.url === standard[key]) {
      lines.push(line('ok', claim, `${verdict.url} (Authelia's standard path)`));
    } else {
      lines.push(line('warn', claim, `${verdict.url} is not Authelia's standard ${standard[key]}: if Authelia is down when PocketBase ` +
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
    // unadvertised scope is an error, not a warning. offline_access is the exception: every Authelia
    // lists it, so its absence means another provider, which may ignore it (OpenID Connect Core,
    // section 11), and logins then work without a refresh token.
    if (config.scopes.includes('offline_access') && !scopes.includes('offline_access')) {
      lines.push(line('warn', 'offline_access', 'AUTHELIA_SCOPES requests offline_access but the discovery document does not list it: ' +
        'expect no refresh token, so PocketBase can ask Authelia again only while the login\'s access token lasts; ' +
        'if logins fail with invalid_scope, remove offline_access from AUTHELIA_SCOPES'));
    }
    const missing = config.scopes.filter((scope) => scope !== 'groups' && scope !== 'offline_access' && !scopes.includes(scope));
    if (missing.length > 0) {
      lines.push(line('error', 'AUTHELIA_SCOPES', `Authelia does not offer ${missing.join(', ')}; it would refuse every login ` +
        `with invalid_scope: remove ${missing.length > 1 ? 'them' : 'it'} from AUTHELIA_SCOPES, or define ${missing.length > 1 ? 'them' : 'it'} in Authelia`));
    } else {
      lines.push(line('ok', 'AUTHELIA_SCOPES', `Authelia offers ${config.scopes.join(', ')}`));
    }
  }

  const subject = 'token_endpoint_auth_methods_supported';
  switch (tokenEndpointAuth(doc)) {
    case 'unlisted':
      lines.push(line('ok', subject, 'not listed; client_secret_basic is the default, and PocketBase\'s first try'));
      break;
    case 'basic':
      lines.push(line('ok', subject, 'includes client_secret_basic, PocketBase\'s first try (preferred)'));
      break;
    case 'post':
      lines.push(line('ok', subject, 'only client_secret_post: PocketBase gets there after Authelia refuses its HTTP Basic try, one extra request per login'));
      break;
    case 'neither':
      lines.push(line('error', subject, `lists neither client_secret_basic nor client_secret_post, the two methods PocketBase can use: got ${
        stringList(doc[subject])?.join(', ') || 'an empty list'}`));
      break;
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

type ProbeAnswer = { readonly status: number; readonly error: unknown } | { readonly failed: unknown };

/**
 * Authenticates at the token endpoint with an invalid code, as PocketBase does: HTTP Basic first
 * (client_secret_basic) and, when Authelia refuses the client, the secret in the form body
 * (client_secret_post). A wrong id or secret gets `invalid_client` both times; right ones get past
 * authentication to `invalid_grant`. Nothing is created; Authelia logs a failed client
 * authentication for every refused try.
 */
async function probeClient(fetcher: typeof fetch, config: Config, tokenUrl: string): Promise<CheckLine> {
  // Also checked by the caller; here so that no other caller can send the secret elsewhere.
  if (!sameOrigin(tokenUrl, config.issuer)) {
    return line('error', 'client', `not tried: ${redactUrl(tokenUrl)} is off AUTHELIA_URL's origin, and the client secret goes nowhere else`);
  }
  const basic = await tokenRequest(fetcher, config, tokenUrl, 'client_secret_basic');
  const post = isRefusedClient(basic) ? await tokenRequest(fetcher, config, tokenUrl, 'client_secret_post') : undefined;
  const last = post ?? basic;
  if ('failed' in last) {
    const certificate = tlsProblem(last.failed);
    return line('warn', 'client', `could not try the client id and secret at ${tokenUrl} (${describeFetchError(last.failed, config.discoveryTimeoutSeconds)})` +
      (certificate === undefined ? '' : `: ${certificateAdvice(certificate, 'cli')}`));
  }
  if (isRefusedClient(last)) {
    return line('error', 'client', `Authelia refused client "${config.clientId}" and its secret with HTTP Basic and in the request body (invalid_client): ` +
      'register the client (authelia-config prints it) with the digest of AUTHELIA_CLIENT_SECRET and token_endpoint_auth_method: client_secret_basic');
  }
  if (last.status >= 400 && last.status < 500 && typeof last.error === 'string') {
    const how = post === undefined
      ? 'with client_secret_basic, PocketBase\'s first try'
      : 'with client_secret_post, after refusing HTTP Basic as it will at every login; this works (PocketBase retries with the secret in the body), ' +
        'and token_endpoint_auth_method: client_secret_basic saves the refused request';
    return line('ok', 'client', `Authelia accepted client "${config.clientId}" and its secret ${how} (a test with an invalid code got ${last.error})`);
  }
  return line('warn', 'client', `could not tell whether Authelia accepts the client id and secret (HTTP ${last.status}${typeof last.error === 'string' ? `, ${last.error}` : ''})`);
}

function isRefusedClient(answer: ProbeAnswer): boolean {
  return 'error' in answer && answer.error === 'invalid_client';
}

/** One token request in the form Go's golang.org/x/oauth2 (PocketBase's client) sends for each style. */
async function tokenRequest(fetcher: typeof fetch, config: Config, tokenUrl: string, method: 'client_secret_basic' | 'client_secret_post'): Promise<ProbeAnswer> {
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code: `pocketbase-authelia-check-${randomBytes(16).toString('hex')}`,
    redirect_uri: `${config.issuer}/pocketbase-authelia-check`,
    ...(config.pkce ? { code_verifier: randomBytes(32).toString('base64url') } : {}),
  });
  return authenticatedPost(fetcher, config, tokenUrl, body, method);
}

/**
 * Revokes a token Authelia never issued, as the extension's sign-out revokes real ones: HTTP Basic
 * first, the form body on invalid_client. Authelia answers 200 for an unknown token once the client
 * authenticated (RFC 7009), so this tells whether sign-out and the revocation job will work.
 */
async function probeRevocation(fetcher: typeof fetch, config: Config, revocationUrl: string): Promise<CheckLine> {
  if (!sameOrigin(revocationUrl, config.issuer)) {
    return line('warn', 'revocation', `not tried: ${redactUrl(revocationUrl)} is off AUTHELIA_URL's origin; the extension uses ${config.issuer}/api/oidc/revocation instead`);
  }
  const body = () => new URLSearchParams({ token: `pocketbase-authelia-check-${randomBytes(16).toString('hex')}`, token_type_hint: 'refresh_token' });
  const basic = await authenticatedPost(fetcher, config, revocationUrl, body(), 'client_secret_basic');
  const post = isRefusedClient(basic) ? await authenticatedPost(fetcher, config, revocationUrl, body(), 'client_secret_post') : undefined;
  const last = post ?? basic;
  if ('failed' in last) {
    return line('warn', 'revocation', `could not try the revocation endpoint ${revocationUrl} (${describeFetchError(last.failed, config.discoveryTimeoutSeconds)}); sign-out will still end PocketBase sessions`);
  }
  if (last.status === 200) {
    return line('ok', 'revocation', `Authelia accepts client "${config.clientId}" at its revocation endpoint (${post === undefined ? 'HTTP Basic' : 'secret in the request body'}): sign-out revokes grants`);
  }
  return line('warn', 'revocation', `Authelia did not accept client "${config.clientId}" at its revocation endpoint (HTTP ${last.status}${typeof last.error === 'string' ? `, ${last.error}` : ''}): ` +
    'sign-out still ends PocketBase sessions, but grants stay valid at Authelia until they expire; check the client\'s revocation_endpoint_auth_method ' +
    '(client_secret_basic, Authelia\'s default, or client_secret_post)');
}

async function authenticatedPost(fetcher: typeof fetch, config: Config, url: string, body: URLSearchParams, method: 'client_secret_basic' | 'client_secret_post'): Promise<ProbeAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (method === 'client_secret_basic') {
    // RFC 6749 section 2.3.1: id and secret are form-urlencoded before base64, as PocketBase (Go) does.
    const form = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
    headers['authorization'] = `Basic ${Buffer.from(`${form(config.clientId)}:${form(config.clientSecret)}`).toString('base64')}`;
  } else {
    body.set('client_id', config.clientId);
    body.set('client_secret', config.clientSecret);
  }
  try {
    // A 307 or 308 would repeat the body, secret included, wherever it points: not followed.
    const response = await fetcher(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(config.discoveryTimeoutSeconds * 1000) });
    const error = ((await response.json().catch(() => ({}))) as { error?: unknown }).error;
    return { status: response.status, error };
  } catch (failed) {
    return { failed };
  }
}

export function summary(lines: readonly CheckLine[]): string {
  const errors = lines.filter((item) => item.level === 'error').length;
  const warnings = lines.filter((item) => item.level === 'warn').length;
  const counts = `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
  return errors > 0 ? `${counts}: fix the errors before restarting PocketBase` : `${counts}: PocketBase can use this Authelia`;
}
