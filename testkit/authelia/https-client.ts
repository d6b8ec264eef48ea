// HTTPS requests that trust only the test's private CA, with a cookie jar: what a browser does at
// Authelia's portal, for the headless login. Node's fetch reads extra CAs only at process start
// (NODE_EXTRA_CA_CERTS), so this goes through node:https with the CA given per request.
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';

export interface HttpsAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  json<T = unknown>(): T;
  location(): URL | undefined;
}

export class HttpsClient {
  private readonly cookies = new Map<string, string>();

  constructor(private readonly ca: string) {}

  async send(url: URL | string, init: { method?: string; headers?: Record<string, string>; body?: string; json?: unknown } = {}): Promise<HttpsAnswer> {
    const target = new URL(url);
    const body = init.json === undefined ? init.body : JSON.stringify(init.json);
    const headers: Record<string, string> = {
      accept: 'application/json, text/html',
      ...(init.json === undefined ? {} : { 'content-type': 'application/json' }),
      ...(this.cookies.size > 0 ? { cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ') } : {}),
      ...init.headers,
    };
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const answer = await new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((done, failed) => {
      const req = send(target, { method: init.method ?? 'GET', headers, ca: this.ca, timeout: 15_000 }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        res.on('error', failed);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer from ${target.origin} within 15 s`)));
      req.on('error', failed);
      req.end(body);
    });
    for (const line of [answer.headers['set-cookie'] ?? []].flat()) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      if (at > 0) this.cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    }
    return {
      ...answer,
      json: <T>() => JSON.parse(answer.body) as T,
      location: () => {
        const location = answer.headers['location'];
        return typeof location === 'string' ? new URL(location, target) : undefined;
      },
    };
  }
}
