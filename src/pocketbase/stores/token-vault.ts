import { CHECKED_AT_KEY_PREFIX, SESSION_UNTIL_KEY_PREFIX, type ActiveState } from '../../core/stores/state.js';
import { sessionHorizon, type VaultEntry } from '../../core/checks/revalidation.js';
import { loadGuards } from './registry-store.js';

/**
 * Where the Authelia tokens of each record's last login live: a plain SQLite
 * table, not a collection, so no API (and no API rule, superuser included)
 * can read it, and it never shows in the dashboard. The tokens are encrypted
 * with a key that is not in the database (see stores/token-secrets.ts).
 * Times are milliseconds since the epoch. The row also keeps the Authelia
 * username the record's subject had at the last login or check: written by
 * the extension only (no API reaches this table, superusers included), it is
 * what lets a user whose subject Authelia lost sign in to their record again
 * (src/core/login/relink-rules.ts).
 */
export const VAULT_TABLE = '_authelia_tokens';

/** What a check or the status page learned last, per record. */
export type LastOutcome = 'current' | 'undecided' | 'waiting' | 'gone' | 'expired' | 'signed-out' | 'unchecked';

/** One row, tokens still encrypted. */
export interface VaultRow extends VaultEntry {
  readonly recordId: string;
  /** The Authelia subject the record is linked to (from `_externalAuths`). */
  readonly subject: string;
  /** The record's collection: the configured one, or one the extension managed before AUTHELIA_COLLECTION moved. */
  readonly collectionId: string;
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly attemptedAt: number;
  readonly lastOutcome: LastOutcome;
  /** Authelia's `preferred_username` for the linked subject at the last login or check; '' when none is kept yet. */
  readonly username: string;
}

/** A row read together with the record's Authelia link; `stored` false: linked, but nothing kept yet. */
export type LinkedRow = VaultRow & { readonly stored: boolean };

export function ensureVault(app: CoreApp): void {
  app
    .nonconcurrentDB()
    .newQuery(
      `CREATE TABLE IF NOT EXISTS {{${VAULT_TABLE}}} (
        [[recordId]] TEXT PRIMARY KEY NOT NULL,
        [[accessToken]] TEXT NOT NULL DEFAULT '',
        [[refreshToken]] TEXT NOT NULL DEFAULT '',
        [[accessExpiresAt]] INTEGER NOT NULL DEFAULT 0,
        [[checkedAt]] INTEGER NOT NULL DEFAULT 0,
        [[attemptedAt]] INTEGER NOT NULL DEFAULT 0,
        [[sessionsEnded]] INTEGER NOT NULL DEFAULT 0,
        [[lastOutcome]] TEXT NOT NULL DEFAULT 'unchecked',
        [[leaseUntil]] INTEGER NOT NULL DEFAULT 0,
        [[sessionUntil]] INTEGER NOT NULL DEFAULT 0,
        [[username]] TEXT NOT NULL DEFAULT ''
      )`,
    )
    .execute();
  // Tables made by earlier releases lack the columns added since.
  const columns = vaultColumns(app);
  if (!columns.has('sessionUntil')) addSessionUntil(app);
  if (!columns.has('username')) {
    // Its rows get it at the next login or check.
    app.nonconcurrentDB().newQuery(`ALTER TABLE {{${VAULT_TABLE}}} ADD COLUMN [[username]] TEXT NOT NULL DEFAULT ''`).execute();
  }
}

function vaultColumns(app: CoreApp): Set<string> {
  const columns = arrayOf(new DynamicModel({ name: '' }));
  app.nonconcurrentDB().newQuery(`SELECT [[name]] FROM pragma_table_info('${VAULT_TABLE}')`).all(columns);
  return new Set(columns.map((column) => String(column['name'])));
}

/**
 * A table made by an earlier version has no `sessionUntil`: nobody noted which tokens PocketBase
 * handed out, so every row gets the horizon of a token issued right now (see unknownPastHorizon)
 * under the longest auth-token lifetime of any auth collection: this runs at boot, before the
 * collections the extension manages are published, and a collection whose tokens live longer than
 * PocketBase's default must not free its records from the sweep early. The column and its values
 * land together (one transaction): a stop in between must not leave rows with a horizon of 0.
 */
function addSessionUntil(app: CoreApp): void {
  const everyAuthCollection = app.findAllCollections('auth').flatMap((collection) => (collection ? [collection.id] : []));
  const until = unknownPastHorizon(app, Date.now(), [...everyAuthCollection, ...Object.keys(loadGuards(app)?.collections ?? {})]);
  app.runInTransaction((txApp) => {
    const db = txApp.nonconcurrentDB();
    db.newQuery(`ALTER TABLE {{${VAULT_TABLE}}} ADD COLUMN [[sessionUntil]] INTEGER NOT NULL DEFAULT 0`).execute();
    db.newQuery(`UPDATE {{${VAULT_TABLE}}} SET [[sessionUntil]] = {:until}`).bind({ until }).execute();
  });
}

/**
 * When no session can outlive tokens issued before the extension noted them (records first seen
 * now, or every record of a table from an earlier version): a token PocketBase issues now, under
 * the longest auth-token lifetime of the collections the extension manages (PocketBase's default,
 * 7 days, when none is known yet), plus its margin.
 */
export function unknownPastHorizon(app: CoreApp, now: number, collectionIds: Iterable<string> = Object.keys(loadGuards(app)?.collections ?? {})): number {
  let longest = 0;
  for (const id of collectionIds) {
    try {
      longest = Math.max(longest, Number(app.findCachedCollectionByNameOrId(id).authToken.duration));
    } catch {
      // deleted since: none of its records is linked any more
    }
  }
  const lifetimeMs = (longest > 0 ? longest : 604_800) * 1000;
  return sessionHorizon(now + lifetimeMs, lifetimeMs);
}

const ROW_COLUMNS =
  'ea.[[providerId]] AS subject, ea.[[recordRef]] AS recordId, ea.[[collectionRef]] AS collectionId, t.[[recordId]] IS NOT NULL AS stored, ' +
  "COALESCE(t.[[accessToken]], '') AS accessToken, COALESCE(t.[[refreshToken]], '') AS refreshToken, " +
  'COALESCE(t.[[accessExpiresAt]], 0) AS accessExpiresAt, COALESCE(t.[[checkedAt]], 0) AS checkedAt, ' +
  "COALESCE(t.[[attemptedAt]], 0) AS attemptedAt, COALESCE(t.[[sessionsEnded]], 0) AS sessionsEnded, COALESCE(t.[[lastOutcome]], '') AS lastOutcome, " +
  // Read as an integer whatever was stored: one REAL in the column must not stop every sweep run.
  'CAST(COALESCE(t.[[sessionUntil]], 0) AS INTEGER) AS sessionUntil, ' +
  "COALESCE(t.[[username]], '') AS username";

/**
 * Authelia links through every collection and provider slot the extension has
 * managed (the guard registry), not only the configured ones: switching
 * AUTHELIA_PROVIDER or AUTHELIA_COLLECTION must not free the records linked
 * before from their checks and their bound. One row per record (a record may
 * be linked through two slots); the configured slot's subject first.
 * `recordFilter` narrows the links to one record inside the grouping, so the
 * index on `recordRef` serves a single-record lookup.
 */
function linkedRows(recordFilter = ''): string {
  return (
    'FROM (SELECT [[recordRef]], MIN([[collectionRef]]) AS collectionRef, ' +
    'COALESCE(MAX(CASE WHEN [[collectionRef]] = {:collection} AND [[provider]] = {:provider} THEN [[providerId]] END), MIN([[providerId]])) AS providerId ' +
    "FROM {{_externalAuths}} WHERE ([[collectionRef]] || ':' || [[provider]]) IN (SELECT value FROM json_each({:links}))" +
    `${recordFilter} GROUP BY [[recordRef]]) ea LEFT JOIN {{${VAULT_TABLE}}} t ON t.[[recordId]] = ea.[[recordRef]] ` +
    // Always true: callers narrow the rows with `AND ...`.
    "WHERE ea.[[recordRef]] != ''"
  );
}
const LINKED_ROWS = linkedRows();
/**
 * One record's links: PocketBase's index on (collectionRef, recordRef, provider) finds them when the
 * collections are named too (the links' own filter is an expression no index serves: without this,
 * every single-record lookup read the whole `_externalAuths` table, milliseconds at 10,000 links).
 */
const ONE_RECORD = " AND [[recordRef]] = {:record} AND [[collectionRef]] IN (SELECT substr(value, 1, instr(value, ':') - 1) FROM json_each({:links}))";

/** The (collection, slot) pairs whose links are Authelia's, as `collectionId:provider`, plus the configured one. */
export function autheliaLinks(app: CoreApp, configured?: { readonly collectionId: string; readonly provider: string }): string {
  const pairs = new Set(configured ? [`${configured.collectionId}:${configured.provider}`] : []);
  for (const [collectionId, guard] of Object.entries(loadGuards(app)?.collections ?? {})) {
    for (const provider of guard.providers) pairs.add(`${collectionId}:${provider}`);
  }
  return JSON.stringify([...pairs]);
}

function linkParams(app: CoreApp, state: ActiveState): Record<string, unknown> {
  return { collection: state.collectionId, provider: state.provider, links: autheliaLinks(app, state) };
}

function rowModel(): DynamicModel {
  return new DynamicModel({
    subject: '', recordId: '', collectionId: '', stored: false, accessToken: '', refreshToken: '',
    accessExpiresAt: 0, checkedAt: 0, attemptedAt: 0, sessionsEnded: false, lastOutcome: '', sessionUntil: 0, username: '',
  });
}

function toRow(model: DynamicModel): LinkedRow {
  return {
    recordId: String(model['recordId']),
    subject: String(model['subject']),
    collectionId: String(model['collectionId']),
    stored: Boolean(model['stored']),
    accessToken: String(model['accessToken']),
    refreshToken: String(model['refreshToken']),
    hasAccessToken: model['accessToken'] !== '',
    hasRefreshToken: model['refreshToken'] !== '',
    accessExpiresAt: Number(model['accessExpiresAt']),
    checkedAt: Number(model['checkedAt']),
    attemptedAt: Number(model['attemptedAt']),
    sessionsEnded: Boolean(model['sessionsEnded']),
    lastOutcome: (String(model['lastOutcome']) || 'unchecked') as LastOutcome,
    sessionUntil: Number(model['sessionUntil']),
    username: String(model['username']),
  };
}

/**
 * The record's Authelia link and stored state in one query. `undefined`: the
 * record is not linked to Authelia (a local account). `stored` false: linked
 * before tokens were kept (or by an older version); see `adopt`.
 */
export function linkedRow(app: CoreApp, state: ActiveState, recordId: string): LinkedRow | undefined {
  const models = arrayOf(rowModel());
  app
    .db()
    .newQuery(`SELECT ${ROW_COLUMNS} ${linkedRows(ONE_RECORD)} LIMIT 1`)
    .bind({ ...linkParams(app, state), record: recordId })
    .all(models);
  const model = models[0];
  return model ? toRow(model) : undefined;
}

/**
 * Records linked to Authelia before their tokens were kept start their
 * AUTHELIA_MAX_SESSION now: without a token they cannot be checked, and the
 * bound must start somewhere.
 */
export function adoptLinkedRecords(app: CoreApp, state: ActiveState, now: number, recordId?: string): void {
  adopt(app, linkParams(app, state), now, recordId, unknownPastHorizon(app, now, [state.collectionId, ...Object.keys(loadGuards(app)?.collections ?? {})]));
}

/**
 * The same while the configuration is invalid or AUTHELIA_URL unset: the
 * links the extension managed (the guard registry) still say who signed in
 * with Authelia, and a typo must not lift the bound of records it never saw.
 */
export function adoptLinkedRecordsUnconfigured(app: CoreApp, now: number, recordId?: string): void {
  const links = autheliaLinks(app);
  if (links === '[]') return; // nothing ever managed
  ensureVault(app);
  adopt(app, { collection: '', provider: '', links }, now, recordId, unknownPastHorizon(app, now));
}

function adopt(app: CoreApp, params: Record<string, unknown>, now: number, recordId: string | undefined, sessionUntil: number): void {
  app
    .nonconcurrentDB()
    .newQuery(
      `INSERT OR IGNORE INTO {{${VAULT_TABLE}}} ([[recordId]], [[checkedAt]], [[lastOutcome]], [[sessionUntil]]) ` +
        `SELECT ea.[[recordRef]], {:now}, 'unchecked', {:sessionUntil} ${linkedRows(recordId === undefined ? '' : ONE_RECORD)} AND t.[[recordId]] IS NULL`,
    )
    .bind({ ...params, now, record: recordId ?? '', sessionUntil })
    .execute();
}

/** Where a sweep run is: the records it has seen (or must not see again) are left out of the next batch. */
export interface SweepCursor {
  readonly runStart: number;
  readonly maxSessionMs: number;
  readonly accessMarginMs: number;
  /** Records with a realtime connection signed in as them: a session, whatever their tokens' expiry. */
  readonly connected: readonly string[];
}

/**
 * Rows a sweep has work for: a session that may still be alive, and a usable
 * token or the bound passed with sessions still open. Not attempted since the
 * run started (a check, this run's or an auth-refresh's, stamps the row).
 */
function sweepWhere(cursor: SweepCursor): { readonly sql: string; readonly params: Record<string, unknown> } {
  return {
    sql:
      'AND t.[[attemptedAt]] < {:runStart} ' +
      'AND (t.[[sessionUntil]] > {:runStart} OR t.[[recordId]] IN (SELECT value FROM json_each({:connected}))) AND (' +
      "t.[[refreshToken]] != '' OR (t.[[accessToken]] != '' AND t.[[accessExpiresAt]] > {:accessAfter}) " +
      'OR (t.[[sessionsEnded]] = 0 AND t.[[checkedAt]] <= {:checkedBefore}))',
    params: {
      runStart: cursor.runStart,
      connected: JSON.stringify(cursor.connected),
      accessAfter: cursor.runStart + cursor.accessMarginMs,
      checkedBefore: cursor.runStart - cursor.maxSessionMs,
    },
  };
}

/** How many records a sweep run has work for, to spread them over its window. */
export function countSweepCandidates(app: CoreApp, state: ActiveState, cursor: SweepCursor): number {
  const where = sweepWhere(cursor);
  const models = arrayOf(new DynamicModel({ total: 0 }));
  app.db().newQuery(`SELECT COUNT(*) AS total ${LINKED_ROWS} ${where.sql}`).bind({ ...linkParams(app, state), ...where.params }).all(models);
  return Number((models[0] as unknown as { total: number } | undefined)?.total ?? 0);
}

/**
 * The next rows of a sweep run, in the order it checks them: records waiting
 * for Authelia's user backend first, so a removal made during an outage lands
 * at the first run after it; then least recently attempted first, which is
 * also the order their deadlines come in. `skipped`: rows seen this run that
 * were left as they are.
 */
export function sweepCandidates(app: CoreApp, state: ActiveState, cursor: SweepCursor, skipped: readonly string[], limit: number): LinkedRow[] {
  const where = sweepWhere(cursor);
  const models = arrayOf(rowModel());
  app
    .db()
    .newQuery(
      `SELECT ${ROW_COLUMNS} ${LINKED_ROWS} ${where.sql} AND t.[[recordId]] NOT IN (SELECT value FROM json_each({:skipped})) ` +
        "ORDER BY (t.[[lastOutcome]] = 'waiting') DESC, t.[[attemptedAt]] ASC, t.[[checkedAt]] ASC LIMIT {:limit}",
    )
    .bind({ ...linkParams(app, state), ...where.params, skipped: JSON.stringify(skipped), limit })
    .all(models);
  return models.map(toRow);
}

/**
 * Rows of records no longer linked to Authelia through any collection or slot
 * the extension has managed (deleted, or unlinked by a superuser): their
 * tokens must not outlive the link. A record still linked keeps its row, and
 * with it its bound, whatever AUTHELIA_PROVIDER and AUTHELIA_COLLECTION say now.
 */
export function dropUnlinked(app: CoreApp, state: ActiveState): void {
  app
    .nonconcurrentDB()
    .newQuery(
      `DELETE FROM {{${VAULT_TABLE}}} WHERE [[recordId]] NOT IN (SELECT [[recordRef]] FROM {{_externalAuths}} ` +
        "WHERE ([[collectionRef]] || ':' || [[provider]]) IN (SELECT value FROM json_each({:links})))",
    )
    .bind({ links: autheliaLinks(app, state) })
    .execute();
}

/**
 * Claims the record for one check. Atomic in SQLite: of two checks that race,
 * exactly one sees a row affected, so a refresh token is never presented twice
 * (Authelia would revoke the whole grant). The lease expires by itself should
 * PocketBase stop in the middle of a check.
 */
export function claimLease(app: CoreApp, recordId: string, now: number, leaseMs: number): boolean {
  return update(app, recordId, '[[leaseUntil]] = {:until}, [[attemptedAt]] = {:now}', { until: now + leaseMs, now }, ' AND [[leaseUntil]] < {:now}') === 1;
}

export function releaseLease(app: CoreApp, recordId: string): void {
  update(app, recordId, '[[leaseUntil]] = 0', {});
}

/** The encrypted tokens of a fresh login (or of a refresh), and when the access token expires. */
export interface StoredTokens {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly accessExpiresAt: number;
}

/**
 * What a login writes: its tokens, a successful check (the bound starts again, ended sessions
 * reopen), how long the PocketBase token it hands out may live, and Authelia's username for the
 * subject it signed in with, '' included: a login may be the record's first with another Authelia
 * account (linked by email), and a username kept from an earlier one must never speak for it.
 */
const LOGIN_COLUMNS =
  '[[accessToken]] = {:access}, [[refreshToken]] = {:refresh}, [[accessExpiresAt]] = {:expires}, ' +
  "[[checkedAt]] = {:now}, [[attemptedAt]] = {:now}, [[sessionsEnded]] = 0, [[lastOutcome]] = 'current', [[username]] = {:username}, " +
  '[[sessionUntil]] = MAX([[sessionUntil]], {:sessionUntil})';

/**
 * Writes a login over the record's row if the row still holds `expectedRefreshToken` (sealed; ''
 * for none), or whatever it holds when `undefined`. SQLite compares and writes in one statement, so
 * a refresh token that another write put in the row since it was read is never overwritten unseen.
 * `false`, nothing written: no row (see `ensureRow`), or it holds another refresh token.
 */
export function replaceLogin(app: CoreApp, recordId: string, tokens: StoredTokens, username: string, now: number, sessionUntil: number, expectedRefreshToken?: string): boolean {
  const condition = expectedRefreshToken === undefined ? '' : ' AND [[refreshToken]] = {:expected}';
  const params = { access: tokens.accessToken, refresh: tokens.refreshToken, expires: tokens.accessExpiresAt, username, now, sessionUntil, expected: expectedRefreshToken ?? '' };
  if (update(app, recordId, LOGIN_COLUMNS, params, condition) !== 1) return false;
  rememberCheckedAt(app, recordId, now);
  app.store().set(SESSION_UNTIL_KEY_PREFIX + recordId, sessionUntil);
  return true;
}

/**
 * A row for a record that has none yet (its first login), holding no token; its bound starts now,
 * as `adopt`'s, and its sessions may live a whole auth-token lifetime of its collection
 * (`lifetimeMs`): the record may hold tokens from before it had a row.
 */
export function ensureRow(app: CoreApp, recordId: string, now: number, lifetimeMs: number): void {
  const sessionUntil = Math.max(sessionHorizon(now + lifetimeMs, lifetimeMs), rememberedSessionUntil(app, recordId) ?? 0);
  app
    .nonconcurrentDB()
    .newQuery(`INSERT OR IGNORE INTO {{${VAULT_TABLE}}} ([[recordId]], [[checkedAt]], [[lastOutcome]], [[sessionUntil]]) VALUES ({:record}, {:now}, 'unchecked', {:sessionUntil})`)
    .bind({ record: recordId, now, sessionUntil })
    .execute();
}

/** Longer than PocketBase takes from a hook's `now` to signing the token it hands out. */
const ISSUE_SLACK_MS = 60_000;

/**
 * PocketBase is about to hand out (or just handed out) an auth token for the record, valid for its
 * collection's auth-token lifetime: its sessions may live until then, so the sweep goes on checking
 * it. Written only when that is later than what this process last wrote for the record (the margin
 * of sessionHorizon makes that rare: at most every eighth of the lifetime). Called from the hooks
 * that run anyway when PocketBase issues a token (auth-refresh; a password, OTP or other provider's
 * sign-in); a login through Authelia writes it with its tokens (replaceLogin).
 */
export function noteIssuedToken(app: CoreApp, record: core.Record, now: number): void {
  const lifetimeMs = Number(record.collection().authToken.duration) * 1000;
  const expiresBy = now + lifetimeMs + ISSUE_SLACK_MS;
  const noted = rememberedSessionUntil(app, record.id);
  if (noted !== undefined && noted >= expiresBy) return;
  try {
    extendSessions(app, record.id, sessionHorizon(expiresBy, lifetimeMs));
  } catch {
    // No token table yet: the extension never kept anything for anybody, so nothing is checked either.
  }
}

/**
 * The same for a token whose expiry is known exactly (an impersonation token, whose lifetime a
 * superuser chooses; an auth response the app's own route makes): `expiresAt` and `issuedAt` in
 * milliseconds since the epoch.
 */
export function noteTokenExpiry(app: CoreApp, recordId: string, issuedAt: number, expiresAt: number): void {
  const noted = rememberedSessionUntil(app, recordId);
  if (noted !== undefined && noted >= expiresAt) return;
  try {
    extendSessions(app, recordId, sessionHorizon(expiresAt, expiresAt - issuedAt));
  } catch {
    // No token table yet: nothing is checked either.
  }
}

/** The row's horizon moves to `until` unless it already lies later; `false` when the record has no row (a local account). */
function extendSessions(app: CoreApp, recordId: string, until: number): boolean {
  if (update(app, recordId, '[[sessionUntil]] = MAX([[sessionUntil]], {:until})', { until }) !== 1) return false;
  app.store().set(SESSION_UNTIL_KEY_PREFIX + recordId, until);
  return true;
}

/** What this process last wrote (or found) as the record's session horizon; the table holds at least that. */
export function rememberedSessionUntil(app: CoreApp, recordId: string): number | undefined {
  const value: unknown = app.store().get(SESSION_UNTIL_KEY_PREFIX + recordId);
  return typeof value === 'number' ? value : undefined;
}

/**
 * Written as soon as Authelia answers a refresh, before the new access token is used: the old
 * refresh token (`spentRefreshToken`, sealed) is spent. `false`, nothing written: a login, a
 * sign-out or access taken away changed the row while Authelia answered, and what it wrote stays.
 */
export function storeRotatedTokens(app: CoreApp, recordId: string, tokens: StoredTokens, spentRefreshToken: string): boolean {
  const params = { access: tokens.accessToken, refresh: tokens.refreshToken, expires: tokens.accessExpiresAt, spent: spentRefreshToken };
  return update(app, recordId, '[[accessToken]] = {:access}, [[refreshToken]] = {:refresh}, [[accessExpiresAt]] = {:expires}', params, ' AND [[refreshToken]] = {:spent}') === 1;
}

/** A refresh token Authelia refused, unless a login stored another one meanwhile. */
export function dropRefreshToken(app: CoreApp, recordId: string, refusedRefreshToken: string): void {
  update(app, recordId, "[[refreshToken]] = ''", { refused: refusedRefreshToken }, ' AND [[refreshToken]] = {:refused}');
}

export function dropTokens(app: CoreApp, recordId: string): void {
  update(app, recordId, "[[accessToken]] = '', [[refreshToken]] = '', [[accessExpiresAt]] = 0", {});
}

/**
 * A check that got the user's current claims; `username` is Authelia's for the linked subject (a
 * check asks about that subject only), '' keeps the one kept (a grant without the profile scope).
 */
export function markCurrent(app: CoreApp, recordId: string, now: number, username: string): void {
  const keep = "[[username]] = CASE WHEN {:username} = '' THEN [[username]] ELSE {:username} END";
  update(app, recordId, `[[checkedAt]] = {:now}, [[sessionsEnded]] = 0, [[lastOutcome]] = 'current', ${keep}`, { now, username });
  rememberCheckedAt(app, recordId, now);
}

export function markUndecided(app: CoreApp, recordId: string): void {
  update(app, recordId, "[[lastOutcome]] = 'undecided'", {});
}

/** Answered without a lookup while nobody was answered normally: checked first once Authelia's user backend answers again. */
export function markWaiting(app: CoreApp, recordId: string): void {
  update(app, recordId, "[[lastOutcome]] = 'waiting'", {});
}

/** Recorded before the sweep acts on a record, so one that fails is not retried first at every run. */
export function markAttempted(app: CoreApp, recordId: string, now: number): void {
  update(app, recordId, '[[attemptedAt]] = {:now}', { now });
}

/** Sessions ended: the user is gone (tokens dropped too) or the bound has passed. */
export function markEnded(app: CoreApp, recordId: string, outcome: 'gone' | 'expired'): void {
  const tokens = outcome === 'gone' ? ", [[accessToken]] = '', [[refreshToken]] = '', [[accessExpiresAt]] = 0" : '';
  update(app, recordId, `[[sessionsEnded]] = 1, [[lastOutcome]] = {:outcome}${tokens}`, { outcome });
}

/**
 * The last successful check of each record, also kept in PocketBase's memory
 * store: an auth-refresh within AUTHELIA_REVALIDATE_AFTER then needs no query.
 * Every write of `checkedAt` goes through here; the table stays the source.
 */
export function rememberCheckedAt(app: CoreApp, recordId: string, checkedAt: number): void {
  app.store().set(CHECKED_AT_KEY_PREFIX + recordId, checkedAt);
}

/**
 * In a record's checkedAt key: a link is being written for it (PocketBase's `_externalAuths` hook ran,
 * the row may not be committed yet). Its refreshes read the table, as for a record not known yet, and
 * none takes it for a local account until one finds the link.
 */
const LINK_PENDING = -2;

/**
 * A record with no Authelia link: its refreshes are PocketBase's own until a login links it.
 * `seen` is what the refresh found in memory before it read the table: if a link was written
 * meanwhile (forgetUnlinked ran, maybe before its row committed), the record is not taken for local.
 */
export function rememberUnlinked(app: CoreApp, recordId: string, seen: number | undefined): void {
  app.store().setFunc(CHECKED_AT_KEY_PREFIX + recordId, (old: unknown) => (old !== LINK_PENDING && asCheckedAt(old) === seen ? -1 : old));
}

/**
 * A record got a link (a login's, or a superuser's by hand), before PocketBase inserts the row: if
 * this process took it for a local account, or does not know it yet, its refreshes read the table
 * until one finds the link, which puts it under the checks and the bound. A refresh that read the
 * table before the row committed cannot take it for local again (rememberUnlinked).
 */
export function forgetUnlinked(app: CoreApp, recordId: string): void {
  app.store().setFunc(CHECKED_AT_KEY_PREFIX + recordId, (old: unknown) => (typeof old === 'number' && old >= 0 ? old : LINK_PENDING));
}

/** `undefined`: not known in this process yet, or a link being written (read the table); `-1`: not linked. */
export function rememberedCheckedAt(app: CoreApp, recordId: string): number | undefined {
  return asCheckedAt(app.store().get(CHECKED_AT_KEY_PREFIX + recordId));
}

function asCheckedAt(value: unknown): number | undefined {
  return typeof value === 'number' && value !== LINK_PENDING ? value : undefined;
}

/** Tokens no key of this process can read (stored under a key that is gone): dropped from disk. Returns how many records held some. */
export function dropAllTokens(app: CoreApp): number {
  const result = app
    .nonconcurrentDB()
    .newQuery(`UPDATE {{${VAULT_TABLE}}} SET [[accessToken]] = '', [[refreshToken]] = '', [[accessExpiresAt]] = 0 WHERE [[accessToken]] != '' OR [[refreshToken]] != ''`)
    .execute();
  return Number(result.rowsAffected());
}

/** Every row holding a token, sealed, for re-encryption under another key. */
export function sealedTokens(app: CoreApp): Array<{ readonly recordId: string; readonly accessToken: string; readonly refreshToken: string }> {
  const models = arrayOf(new DynamicModel({ recordId: '', accessToken: '', refreshToken: '' }));
  app.db().newQuery(`SELECT [[recordId]], [[accessToken]], [[refreshToken]] FROM {{${VAULT_TABLE}}} WHERE [[accessToken]] != '' OR [[refreshToken]] != ''`).all(models);
  return (models as unknown as Array<{ recordId: string; accessToken: string; refreshToken: string }>).map((model) => ({
    recordId: String(model.recordId), accessToken: String(model.accessToken), refreshToken: String(model.refreshToken),
  }));
}

/** The same tokens sealed under another key; expiry and check times unchanged. */
export function resealTokens(app: CoreApp, recordId: string, accessToken: string, refreshToken: string): void {
  update(app, recordId, '[[accessToken]] = {:access}, [[refreshToken]] = {:refresh}', { access: accessToken, refresh: refreshToken });
}

/** One row's UPDATE, narrowed by `condition` (`AND ...`) for a compare-and-swap; returns the rows changed (0 or 1). */
function update(app: CoreApp, recordId: string, assignments: string, params: Record<string, unknown>, condition = ''): number {
  const result = app
    .nonconcurrentDB()
    .newQuery(`UPDATE {{${VAULT_TABLE}}} SET ${assignments} WHERE [[recordId]] = {:record}${condition}`)
    .bind({ ...params, record: recordId })
    .execute();
  return Number(result.rowsAffected());
}

/**
 * How many linked records are in each outcome, how many hold a refresh token, and how many have
 * no PocketBase session that can still be alive (the sweep leaves them alone). For the status page.
 */
export function outcomeCounts(app: CoreApp, state: ActiveState, now: number): { byOutcome: Record<string, number>; withRefreshToken: number; linked: number; withoutLiveSession: number } {
  const models = arrayOf(new DynamicModel({ outcome: '', total: 0, refresh: 0, idle: 0 }));
  app
    .db()
    .newQuery(
      `SELECT COALESCE(t.[[lastOutcome]], 'unchecked') AS outcome, COUNT(*) AS total, SUM(CASE WHEN t.[[refreshToken]] != '' THEN 1 ELSE 0 END) AS refresh, ` +
        `SUM(CASE WHEN t.[[sessionUntil]] <= {:now} THEN 1 ELSE 0 END) AS idle ${LINKED_ROWS} GROUP BY 1`,
    )
    .bind({ ...linkParams(app, state), now })
    .all(models);
  const byOutcome: Record<string, number> = { current: 0, undecided: 0, waiting: 0, gone: 0, expired: 0, 'signed-out': 0, unchecked: 0 };
  let withRefreshToken = 0;
  let linked = 0;
  let withoutLiveSession = 0;
  for (const model of models) {
    byOutcome[String(model['outcome'])] = Number(model['total']);
    withRefreshToken += Number(model['refresh']);
    linked += Number(model['total']);
    withoutLiveSession += Number(model['idle']);
  }
  return { byOutcome, withRefreshToken, linked, withoutLiveSession };
}

/** Every linked record's check times and outcome, oldest check first; never a token. */
export function listRows(app: CoreApp, state: ActiveState, limit: number, offset: number): LinkedRow[] {
  const models = arrayOf(rowModel());
  app
    .db()
    .newQuery(`SELECT ${ROW_COLUMNS} ${LINKED_ROWS} ORDER BY COALESCE(t.[[checkedAt]], 0) ASC, ea.[[recordRef]] ASC LIMIT {:limit} OFFSET {:offset}`)
    .bind({ ...linkParams(app, state), limit, offset })
    .all(models);
  return models.map(toRow);
}

/**
 * The last successful check of a record whatever the configuration says now;
 * `undefined` when nothing is kept for it (or no table exists yet).
 */
export function storedCheck(app: CoreApp, recordId: string): { readonly checkedAt: number; readonly sessionsEnded: boolean } | undefined {
  const models = arrayOf(new DynamicModel({ checkedAt: 0, sessionsEnded: 0 }));
  try {
    app.db().newQuery(`SELECT [[checkedAt]], [[sessionsEnded]] FROM {{${VAULT_TABLE}}} WHERE [[recordId]] = {:record}`).bind({ record: recordId }).all(models);
  } catch {
    return undefined; // no table: this database never kept tokens
  }
  const model = models[0] as unknown as { checkedAt: number; sessionsEnded: number } | undefined;
  return model ? { checkedAt: Number(model.checkedAt), sessionsEnded: Number(model.sessionsEnded) === 1 } : undefined;
}

/** Kept records whose last check is older than `before` with sessions still open, and the collection of each. */
export function staleOpenSessions(app: CoreApp, before: number, limit: number): Array<{ readonly recordId: string; readonly collectionId: string }> {
  const models = arrayOf(new DynamicModel({ recordId: '', collectionId: '' }));
  try {
    app
      .db()
      .newQuery(
        `SELECT t.[[recordId]] AS recordId, MIN(ea.[[collectionRef]]) AS collectionId FROM {{${VAULT_TABLE}}} t ` +
          'JOIN {{_externalAuths}} ea ON ea.[[recordRef]] = t.[[recordId]] ' +
          'WHERE t.[[sessionsEnded]] = 0 AND t.[[checkedAt]] <= {:before} GROUP BY t.[[recordId]] ORDER BY t.[[checkedAt]] LIMIT {:limit}',
      )
      .bind({ before, limit })
      .all(models);
  } catch {
    return [];
  }
  return (models as unknown as Array<{ recordId: string; collectionId: string }>).map((model) => ({ recordId: model.recordId, collectionId: model.collectionId }));
}

/**
 * Other linked records holding a live access token, to ask whether Authelia's
 * user backend works: the recently confirmed first (most likely to be live
 * users), never a record in `exclude`. Only access tokens: refreshing another
 * record's token would race its own check and make Authelia revoke its grant.
 */
export function peersWithLiveAccessToken(app: CoreApp, state: ActiveState, exclude: ReadonlySet<string>, liveAfter: number, limit: number): LinkedRow[] {
  const models = arrayOf(rowModel());
  app
    .db()
    .newQuery(
      `SELECT ${ROW_COLUMNS} ${LINKED_ROWS} AND t.[[accessToken]] != '' AND t.[[accessExpiresAt]] > {:liveAfter} ` +
        "ORDER BY (t.[[lastOutcome]] = 'current') DESC, t.[[checkedAt]] DESC LIMIT {:limit}",
    )
    .bind({ ...linkParams(app, state), liveAfter, limit: limit + exclude.size })
    .all(models);
  return models.map(toRow).filter((row) => !exclude.has(row.recordId)).slice(0, limit);
}

/**
 * Whether any linked record outside `exclude` holds a refresh token: it has no
 * live access token to ask with now, but its own next check (or the sweep)
 * will get a fresh one, so a lone-looking record is not alone. An expired
 * access token without a refresh token can never be asked: it does not count;
 * nor does a record none of whose sessions can be alive (the sweep no longer
 * refreshes its grant, so it will never answer).
 */
export function otherCheckableRecords(app: CoreApp, state: ActiveState, exclude: ReadonlySet<string>, now: number): boolean {
  const models = arrayOf(new DynamicModel({ recordId: '' }));
  app
    .db()
    .newQuery(`SELECT ea.[[recordRef]] AS recordId ${LINKED_ROWS} AND t.[[refreshToken]] != '' AND t.[[sessionUntil]] > {:now} LIMIT {:limit}`)
    .bind({ ...linkParams(app, state), now, limit: exclude.size + 1 })
    .all(models);
  return (models as unknown as Array<{ recordId: string }>).some((model) => !exclude.has(model.recordId));
}

/** The Authelia username kept for the record; '' when none is kept (linked before it was, or no table yet). */
export function keptUsername(app: CoreApp, recordId: string): string {
  const models = arrayOf(new DynamicModel({ username: '' }));
  try {
    app.db().newQuery(`SELECT [[username]] FROM {{${VAULT_TABLE}}} WHERE [[recordId]] = {:record}`).bind({ record: recordId }).all(models);
  } catch {
    return '';
  }
  return String(models[0]?.['username'] ?? '');
}

/** The record's sealed tokens, or `undefined` when none are kept (or no table exists yet). */
export function storedTokens(app: CoreApp, recordId: string): { readonly accessToken: string; readonly refreshToken: string } | undefined {
  const models = arrayOf(new DynamicModel({ accessToken: '', refreshToken: '' }));
  try {
    app.db().newQuery(`SELECT [[accessToken]], [[refreshToken]] FROM {{${VAULT_TABLE}}} WHERE [[recordId]] = {:record}`).bind({ record: recordId }).all(models);
  } catch {
    return undefined;
  }
  const model = models[0] as unknown as { accessToken: string; refreshToken: string } | undefined;
  if (!model || (model.accessToken === '' && model.refreshToken === '')) return undefined;
  return { accessToken: String(model.accessToken), refreshToken: String(model.refreshToken) };
}

/** Signed out: tokens dropped (revoked at Authelia), sessions ended until the next login. */
export function markSignedOut(app: CoreApp, recordId: string): void {
  try {
    update(app, recordId, "[[accessToken]] = '', [[refreshToken]] = '', [[accessExpiresAt]] = 0, [[sessionsEnded]] = 1, [[lastOutcome]] = 'signed-out'", {});
  } catch {
    // no table: nothing kept
  }
}
