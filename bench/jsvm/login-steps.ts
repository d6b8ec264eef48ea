// Bench-only (never shipped in pb_hooks/): the existing-user login handler cut short after step N,
// so that one server, one binary and one run can time every step against the next (bench/breakdown.ts).
// The request header `x-bench-cut` picks the step; without it the shipped handler runs. The steps
// copy src/pocketbase/login.ts's order for a linked, allowed, unchanged user (the benchmark's case).
import { decideLogin } from '../../src/core/login-decision.js';
import { CHECKED_SUBJECT_KEY_PREFIX } from '../../src/core/state.js';
import { onOAuth2Login as shipped } from '../../src/pocketbase/login.js';
import { applyManagedValues, withMembership } from '../../src/pocketbase/managed-values.js';
import { syncProfile } from '../../src/pocketbase/profile.js';
import { loadState } from '../../src/pocketbase/state-store.js';
import { withholdTokens } from '../../src/pocketbase/login-tokens.js';
import { loadRevalidationSecrets, seal } from '../../src/pocketbase/revalidation-secrets.js';
import { storeLogin } from '../../src/pocketbase/token-vault.js';
import { currentMark, unchangedSinceLastLogin } from '../../src/pocketbase/login-fast-path.js';

/** In handler order; a cut at a step runs it and everything before it, then e.next(). */
export const STEPS = [
  'next', 'state', 'claims', 'link', 'decision', 'membership', 'compare', 'profile', 'withhold',
  'seal', 'upsert',
] as const;

/**
 * Whole-handler wall time per cut, summed in the app store ([total ms, count]): Date.now() has
 * millisecond steps, but over a hundred logins that start at random points of a millisecond the
 * mean is good to a few hundredths. Read at GET /api/bench/timers (bench/jsvm/timers.pb.js).
 */
export function onOAuth2Login(e: core.RecordAuthWithOAuth2RequestEvent): void {
  // The OAuth2 event does not expose e.request in JSVM (it reads undefined); requestInfo() does
  // (header names lowercased, dashes as underscores).
  const cut = String(e.requestInfo().headers['x_bench_cut'] ?? '');
  const started = Date.now();
  try {
    run(e, cut);
  } finally {
    const ms = Date.now() - started;
    e.app.store().setFunc(`bench.timer.${cut || 'shipped'}`, (old: unknown) => {
      const [total, count] = Array.isArray(old) ? (old as number[]) : [0, 0];
      return [total! + ms, count! + 1];
    });
  }
}

function run(e: core.RecordAuthWithOAuth2RequestEvent, cut: string): void {
  if (cut === '') return shipped(e);
  if (cut === 'mark') {
    // The fast path's own test, then nothing: what the fast path costs before the token write.
    const state = loadState(e.app);
    if (state?.status !== 'active' || !e.record) throw new BadRequestError('not active');
    if (!unchangedSinceLastLogin(e.app, e.record, currentMark(e.record, e.oAuth2User?.rawUser, state.login, e.app))) throw new BadRequestError('no mark yet');
    e.next();
    return;
  }
  const last = (STEPS as readonly string[]).indexOf(cut);
  if (last < 0) throw new BadRequestError(`unknown x-bench-cut ${cut}`);
  const upTo = (step: (typeof STEPS)[number]) => STEPS.indexOf(step) <= last;

  const state = upTo('state') ? loadState(e.app) : undefined;
  if (state?.status !== 'active' && upTo('state')) throw new BadRequestError('not active');
  const claims = upTo('claims') ? (JSON.parse(JSON.stringify(e.oAuth2User?.rawUser ?? {})) as Record<string, unknown>) : {};
  const subject = String(claims['sub'] ?? '');
  const record = e.record!;
  if (upTo('link') && e.app.store().get(`${CHECKED_SUBJECT_KEY_PREFIX}${e.providerName}.${record.id}`) !== subject) {
    throw new BadRequestError('not linked (log the user in once first)');
  }
  const active = state as Extract<typeof state, { status: 'active' }>;
  const decision = upTo('decision') ? decideLogin(claims, active.login) : undefined;
  const values = decision?.allowed && upTo('membership') ? withMembership(e.app, decision.values, active.login) : undefined;
  if (values && upTo('compare') && applyManagedValues(record, values)) throw new BadRequestError('groups changed');
  if (upTo('profile') && active.login.syncProfile) syncProfile(e.app, record, claims);
  const tokens = upTo('withhold') && e.oAuth2User ? withholdTokens(e.oAuth2User) : undefined;
  e.next();
  const secrets = upTo('seal') ? loadRevalidationSecrets(e.app) : undefined;
  const sealed = secrets && tokens ? { accessToken: seal(secrets, tokens.accessToken), refreshToken: seal(secrets, tokens.refreshToken), accessExpiresAt: tokens.accessExpiresAt } : undefined;
  // The shipped write: one statement over a row without a refresh token (the benchmark's default scopes).
  if (sealed && upTo('upsert') && !storeLogin(e.app, record.id, sealed, Date.now(), true)) throw new BadRequestError('the row holds a refresh token');
}
