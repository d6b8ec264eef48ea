// A frontend on its own loopback origin, like a real app: one HTML page plus the official SDK's
// UMD build, which the page loads from /pocketbase.umd.js. The demo serves its page with it, the
// browser tests their own.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

// testkit/ and the demo's bundle (.demo/main.mjs) both sit one folder below the project root.
const SDK = fileURLToPath(new URL('../node_modules/pocketbase/dist/pocketbase.umd.js', import.meta.url));

export interface PageServer {
  /** http://host:port/ */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `html` at / on host:port (0 = a free port). */
export async function servePage(html: string, host = '127.0.0.1', port = 0): Promise<PageServer> {
  const sdk = await readFile(SDK);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    else if (path === '/pocketbase.umd.js') res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(sdk);
    else if (path === '/favicon.ico') res.writeHead(204).end();
    else res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      done();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}/`,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections(); // keep-alive sockets would hold close() open
      }),
  };
}
