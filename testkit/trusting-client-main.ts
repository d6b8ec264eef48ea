// Runs in a Node process started with NODE_EXTRA_CA_CERTS (see trusting-client.ts): a user's
// device that trusts the private CA, the way a browser with the homelab's CA installed does.
// One task per process; the answer is one JSON line on stdout.
import { ssoLogin } from './sso-login.js';

type Task =
  | { readonly kind: 'login'; readonly url: string; readonly username: string; readonly password: string }
  | { readonly kind: 'refresh'; readonly url: string; readonly collection: string; readonly token: string }
  | { readonly kind: 'http'; readonly url: string; readonly method?: string; readonly headers?: Record<string, string>; readonly body?: string };

async function perform(task: Task): Promise<unknown> {
  switch (task.kind) {
    case 'login': {
      const { auth, scope } = await ssoLogin(task.url, { username: task.username, password: task.password });
      return { token: auth.token, record: auth.record, scope };
    }
    case 'refresh': {
      const response = await fetch(`${task.url}/api/collections/${task.collection}/auth-refresh`, { method: 'POST', headers: { authorization: task.token } });
      const body = (await response.json()) as { token?: string; record?: unknown; message?: string };
      return { status: response.status, token: body.token ?? '', record: body.record ?? {}, message: body.message ?? '' };
    }
    case 'http': {
      const response = await fetch(task.url, { method: task.method ?? 'GET', headers: task.headers ?? {}, ...(task.body === undefined ? {} : { body: task.body }) });
      return { status: response.status, body: await response.text() };
    }
  }
}

perform(JSON.parse(process.argv[2] ?? '{}') as Task).then(
  (result) => process.stdout.write(`${JSON.stringify({ ok: true, result })}\n`),
  (error: unknown) => {
    const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
    const status = (error as { status?: unknown }).status;
    process.stdout.write(`${JSON.stringify({ ok: false, message: error instanceof Error ? error.message : String(error), causeCode: cause?.code ?? null, status: status ?? null })}\n`);
  },
);
