// What the end-to-end tests of revalidation share: people, waiting for time, a raw auth-refresh,
// the IdP's calls after the login, and waiting for a sweep run.
import type { IdpUser } from '../../testkit/idp.js';
import { startStack, type Stack, type StackOptions } from './stack.js';

export const WITH_OFFLINE_ACCESS = 'openid email profile groups offline_access';
export const GONE = /no longer grants access here\. Sign in with Authelia again/;
export const EXPIRED = /could not confirm your session for too long\. Sign in with Authelia again/;

export function person(name: string, groups: string[]): IdpUser & { groups: string[] } {
  return { username: name, password: `${name}-password`, name, email: `${name}@example.test`, groups };
}

export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
/** Waits until `ms` after `start` (Date.now() based): a moment a token or a bound has passed. */
export const until = (start: number, ms: number) => sleep(Math.max(0, start + ms - Date.now()));

export interface Refreshed {
  readonly status: number;
  readonly token: string;
  readonly record: Record<string, unknown>;
  readonly message: string;
}

/** `POST auth-refresh` with a token, as any SDK does. */
export async function refresh(stack: Pick<Stack, 'pb'>, token: string): Promise<Refreshed> {
  const response = await fetch(`${stack.pb.url}/api/collections/users/auth-refresh`, { method: 'POST', headers: { authorization: token } });
  const body = (await response.json()) as { token?: string; record?: Record<string, unknown>; message?: string };
  return { status: response.status, token: body.token ?? '', record: body.record ?? {}, message: body.message ?? '' };
}

export async function withStack(options: StackOptions, scenario: (stack: Stack) => Promise<void>): Promise<void> {
  const stack = await startStack(options);
  try {
    await scenario(stack);
  } finally {
    await stack.close();
  }
}

/** What the IdP saw after the login, without the login's own calls. */
export function afterLogin(stack: Stack) {
  stack.idp.requests.length = 0;
  return {
    calls: () => stack.idp.requests.map((request) => `${request.method} ${request.path}${request.grant_type ? ` ${request.grant_type}` : ''} ${request.status ?? '-'}`),
  };
}

export interface SweepRun {
  readonly at: string;
  readonly checked: number;
  readonly updated: number;
  readonly ended: number;
  readonly undecided: number;
  readonly waiting: number;
  readonly failed: number;
  readonly stoppedEarly: boolean;
  /** Stopped before the next run was due with records left; the next run starts with them. */
  readonly unfinished: boolean;
  /** Records this run had work for and did not reach. */
  readonly remaining: number;
}

/** Waits for the first sweep run that started at or after `after` (PocketBase's one-minute cron). */
export async function sweepAfter(stack: Pick<Stack, 'pb'>, after: number, pollMs = 1_000): Promise<SweepRun> {
  const superuser = await stack.pb.superuser();
  for (;;) {
    const sweep = (await superuser.send('/api/authelia/status', {})).revalidation.lastSweep as SweepRun | null;
    if (sweep && Date.parse(sweep.at) >= after) return sweep;
    await sleep(pollMs);
  }
}

/** Runs the sweep now, as a superuser can from the dashboard (Settings → Crons), and waits for its report. */
export async function sweepNow(stack: Pick<Stack, 'pb'>): Promise<SweepRun> {
  const asked = Date.now();
  await (await stack.pb.superuser()).send('/api/crons/authelia-sweep', { method: 'POST' });
  return sweepAfter(stack, asked - 1_000, 200);
}
