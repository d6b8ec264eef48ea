// Bench-only (never shipped in pb_hooks/): the existing-user login handler cut short after step N,
// so that one server, one binary and one run can time every step against the next (bench/breakdown.ts).
// The request header `x-bench-cut` picks the step; without it the shipped handler runs. The steps
// copy src/pocketbase/login/login.ts's order for a linked, allowed, unchanged user (the benchmark's case).
import { decideLogin } from '../../src/core/login/login-decision.js';
import { onOAuth2Login as shipped } from '../../src/pocketbase/login/login.js';
import { applyManagedValues, withMembership } from '../../src/pocketbase/login/managed-values.js';
import { syncProfile } from '../../src/pocketbase/login/profile.js';
import { loadState } from '../../src/pocketbase/stores/app-store.js';
import { withholdTokens } from '../../src/pocketbase/login/login-tokens.js';
import { loadRevalidationSecrets, seal } from '../../src/pocketbase/stores/token-secrets.js';
import { replaceLogin } from '../../src/pocketbase/stores/token-vault.js';
import { currentMark, unchangedSinceLastLogin } from '../../src/pocketbase/login/fast-path.js';
import { lookedUp } from '../../src/core/login/userinfo-lookup.js';
import { claimedUsername } from '../../src/core/login/relink-rules.js';
import { claimsFingerprint, loginMark } from '../../src/core/login/fast-path-rules.js';
import { GROUPS_GENERATION_KEY, LOGIN_MARK_KEY_PREFIX, CHECKED_SUBJECT_KEY_PREFIX } from '../../src/core/stores/state.js';
import { noteAutheliaWorks } from '../../src/pocketbase/checks/outage.js';

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
  if (cut === 'fast-steps') return timedFastPath(e);
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
  if (sealed && upTo('upsert') && !replaceLogin(e.app, record.id, sealed, claimedUsername(claims), Date.now(), sessionUntil(record), '')) throw new BadRequestError('the row holds a refresh token');
}

/** The steps of the fast path, in the shipped order. */
export const FAST_STEPS = ['clock', 'state', 'lookup', 'outage', 'mark: claims', 'mark: record stamp', 'mark: collection stamp', 'mark: groups generation', 'mark: hash', 'mark: compare', 'withhold', 'next', 'secrets', 'seal', 'write'] as const;

/**
 * The shipped fast path (src/pocketbase/login/login.ts, then storeLoginTokens) step by step, each step
 * timed in nanoseconds (Go's clock through PocketBase's DateTime) and summed in the app store
 * under `bench.timer.fast.<step>` ([total ms, count, sum of squares], for the spread).
 */
function timedFastPath(e: core.RecordAuthWithOAuth2RequestEvent): void {
  const spent: number[] = [];
  let last = nanos();
  const lap = () => {
    const now = nanos();
    spent.push((now - last) / 1e6);
    last = now;
  };
  lap(); // nothing between two reads: the clock's own cost, included in every step below
  const state = loadState(e.app);
  lap();
  const rawUser = e.oAuth2User?.rawUser as Record<string, unknown> | undefined;
  if (state?.status !== 'active' || !e.record || !lookedUp((claim) => rawUser?.[claim])) throw new BadRequestError('not an active login with a lookup');
  lap();
  noteAutheliaWorks(e.app, Date.now());
  lap();
  // currentMark and unchangedSinceLastLogin, inlined to time their parts.
  const fingerprint = claimsFingerprint((claim) => rawUser?.[claim], state.login);
  lap();
  const recordUpdated = e.record.getString('updated');
  lap();
  const collectionUpdated = e.record.collection().updated.string();
  lap();
  const groupsGeneration = String(e.app.store().get(GROUPS_GENERATION_KEY) ?? 0);
  lap();
  const mark = loginMark({ claims: fingerprint, recordUpdated, collectionUpdated, groupsGeneration }, (text) => $security.sha256(text));
  lap();
  if (mark === undefined || e.app.store().get(LOGIN_MARK_KEY_PREFIX + e.record.id) !== mark) throw new BadRequestError('no mark yet');
  lap();
  const tokens = withholdTokens(e.oAuth2User!);
  lap();
  e.next();
  lap();
  const secrets = loadRevalidationSecrets(e.app)!;
  lap();
  const sealed = { accessToken: seal(secrets, tokens.accessToken), refreshToken: seal(secrets, tokens.refreshToken), accessExpiresAt: tokens.accessExpiresAt };
  lap();
  if (!replaceLogin(e.app, e.record.id, sealed, claimedUsername((claim) => rawUser?.[claim]), Date.now(), sessionUntil(e.record), '')) throw new BadRequestError('the row holds a refresh token');
  lap();
  FAST_STEPS.forEach((step, i) => {
    e.app.store().setFunc(`bench.timer.fast.${step}`, (old: unknown) => {
      const [total, count, squares] = Array.isArray(old) ? (old as number[]) : [0, 0, 0];
      return [total! + spent[i]!, count! + 1, squares! + spent[i]! * spent[i]!];
    });
  });
}

function nanos(): number {
  return (new DateTime() as unknown as { time(): { unixNano(): number } }).time().unixNano();
}

/** As the shipped login computes it: the token it hands out lives the collection's auth-token lifetime. */
function sessionUntil(record: core.Record): number {
  return Date.now() + Number(record.collection().authToken.duration) * 1000;
}
