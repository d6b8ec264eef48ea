/**
 * The one rule for http(s) URLs: AUTHELIA_URL, the endpoints of a discovery document, a profile
 * picture. goja has no global URL, so the parts are split by hand (RFC 3986, section 3), keeping
 * only what this project needs: scheme, userinfo, host, port, path, query and fragment.
 */
export interface HttpUrl {
  /** Lower case: `http` or `https`. */
  readonly scheme: 'http' | 'https';
  /** What stands before `@`, when anything does: a user name and maybe a password. */
  readonly userinfo: string | undefined;
  /** As written; compare with `origin()`, which lower-cases it. */
  readonly host: string;
  /** Digits, as written; `''` when absent. */
  readonly port: string;
  /** `''` or starting with `/`. */
  readonly path: string;
  readonly query: string | undefined;
  readonly fragment: string | undefined;
}

const SCHEME = /^(https?):\/\//i;
// A registered name or IPv4 address (letters, digits and RFC 3986's unreserved, sub-delims and
// percent signs), or an IPv6 literal in brackets.
const HOST = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=%]+|\[[0-9A-Fa-f:.]+\])$/;
const PORT = /^\d{1,5}$/;
const DEFAULT_PORTS: Readonly<Record<HttpUrl['scheme'], string>> = { http: '80', https: '443' };

/** The parts of an absolute http(s) URL with a host, or `undefined` for anything else (spaces included). */
export function parseHttpUrl(value: string): HttpUrl | undefined {
  const scheme = SCHEME.exec(value);
  if (!scheme || /\s/.test(value)) return undefined;
  let rest = value.slice(scheme[0].length);
  let fragment: string | undefined;
  let query: string | undefined;
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    fragment = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
  }
  const question = rest.indexOf('?');
  if (question >= 0) {
    query = rest.slice(question + 1);
    rest = rest.slice(0, question);
  }
  const slash = rest.indexOf('/');
  const authority = slash >= 0 ? rest.slice(0, slash) : rest;
  const path = slash >= 0 ? rest.slice(slash) : '';
  const at = authority.lastIndexOf('@');
  const userinfo = at >= 0 ? authority.slice(0, at) : undefined;
  const hostPort = authority.slice(at + 1);
  const portMatch = /:(\d*)$/.exec(hostPort);
  const host = portMatch ? hostPort.slice(0, portMatch.index) : hostPort;
  const port = portMatch ? portMatch[1]! : '';
  if (!HOST.test(host)) return undefined;
  // `host:` with no digits is legal in RFC 3986 but only ever a typo here.
  if (portMatch && (!PORT.test(port) || Number(port) > 65535)) return undefined;
  return { scheme: scheme[1]!.toLowerCase() as HttpUrl['scheme'], userinfo, host, port, path, query, fragment };
}

/** `scheme://host[:port]`, lower case, without the scheme's default port: equal strings mean the same origin. */
export function origin(url: HttpUrl): string {
  const port = url.port === '' || Number(url.port) === Number(DEFAULT_PORTS[url.scheme]) ? '' : `:${Number(url.port)}`;
  return `${url.scheme}://${url.host.toLowerCase()}${port}`;
}

/** Whether two URLs share scheme, host and port (RFC 6454); false when either is not an http(s) URL. */
export function sameOrigin(a: string, b: string): boolean {
  const left = parseHttpUrl(a);
  const right = parseHttpUrl(b);
  return left !== undefined && right !== undefined && origin(left) === origin(right);
}

/**
 * The text with anything that may be credentials masked, for messages that quote a URL an operator
 * or a server gave us. Works on text that is no valid URL too (that is when it is quoted most):
 * `https://user:pw@host` → `https://***@host`, `user:pw@host/x` → `***@host/x`. Everything up to
 * the last `@` is masked, not only the authority: a password may hold an unescaped `/`, `?` or `#`,
 * and masking a rare `@` in a path costs less than printing half a password.
 */
export function redactUrl(value: string): string {
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(value);
  const start = scheme ? scheme[0].length : 0;
  const at = value.lastIndexOf('@');
  return at < start ? value : `${value.slice(0, start)}***${value.slice(at)}`;
}
