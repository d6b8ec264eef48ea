import { formatDuration } from '../../core/boot/duration.js';
import { dueAtRefresh, type RevalidationSettings } from '../../core/checks/revalidation.js';
import { LAST_SWEEP_KEY, type ActiveState } from '../../core/stores/state.js';
import { currentOutage } from '../checks/outage.js';
import { loadState } from '../stores/app-store.js';
import { loadRevalidationSecrets } from '../stores/token-secrets.js';
import { listRows, outcomeCounts, storedCheck, VAULT_TABLE } from '../stores/token-vault.js';

/** The revalidation part of `GET /api/authelia/status`: settings, records per outcome, the last sweep. Never a token. */
export function revalidationStatus(app: CoreApp, state: ActiveState): Record<string, unknown> {
  const settings = state.revalidation;
  const raw: unknown = app.store().get(LAST_SWEEP_KEY);
  const counts = outcomeCounts(app, state, Date.now());
  return {
    ...settings,
    revalidateAfter: settings.revalidateAfterSeconds === 0 ? 'off' : formatDuration(settings.revalidateAfterSeconds),
    maxSession: formatDuration(settings.maxSessionSeconds),
    sweep: settings.sweep ?? 'off',
    linkedRecords: counts.linked,
    withRefreshToken: counts.withRefreshToken,
    // Every PocketBase token of these has expired: the sweep asks Authelia nothing about them.
    withoutLiveSession: counts.withoutLiveSession,
    outcomes: counts.byOutcome,
    outage: outageStatus(app, counts.byOutcome['waiting'] ?? 0),
    lastSweep: typeof raw === 'string' ? JSON.parse(raw) : null,
    tokensAtRest: tokensAtRest(app),
  };
}

/** Where the Authelia tokens rest and whether a restart keeps them usable; never the key. */
function tokensAtRest(app: CoreApp): Record<string, unknown> {
  const fromEnvironment = loadRevalidationSecrets(app)?.vaultKeySource === 'environment';
  return {
    table: VAULT_TABLE,
    encryptedWith: fromEnvironment ? 'AUTHELIA_TOKEN_KEY' : 'a key held in memory only',
    survivesRestart: fromEnvironment,
  };
}

/**
 * Since when Authelia (or its user backend) looks down and how many records
 * wait for it; `null` while Authelia answers normally.
 */
function outageStatus(app: CoreApp, waiting: number): Record<string, unknown> | null {
  const outage = currentOutage(app);
  if (!outage && waiting === 0) return null;
  return {
    kind: outage?.kind ?? 'user-backend',
    since: outage ? new Date(outage.since).toISOString() : null,
    waitingRecords: waiting,
  };
}

const PAGE_SIZE = 500;

/**
 * `GET /api/authelia/status/records?page=N`, superusers only: each linked
 * record's email and name beside its id, and its last successful check with
 * Authelia, oldest first.
 */
export function recordsStatus(e: core.RequestEvent): void {
  const state = loadState(e.app);
  if (state?.status !== 'active') {
    e.json(200, { page: 1, perPage: PAGE_SIZE, items: [] });
    return;
  }
  const page = Math.max(1, Math.floor(Number(e.request?.url?.query().get('page')) || 1));
  const rows = listRows(e.app, state, PAGE_SIZE, (page - 1) * PAGE_SIZE);
  const people = whoIs(e.app, state.collectionId, rows.map((row) => row.recordId));
  const items = rows.map((row) => ({
    recordId: row.recordId,
    email: people.get(row.recordId)?.email ?? null,
    name: people.get(row.recordId)?.name ?? null,
    lastSuccessfulCheck: row.stored && row.checkedAt > 0 ? new Date(row.checkedAt).toISOString() : null,
    lastAttempt: row.attemptedAt > 0 ? new Date(row.attemptedAt).toISOString() : null,
    outcome: row.lastOutcome,
    // Authelia's username for the linked subject, kept for a relink after Authelia lost its storage.
    autheliaUsername: row.username || null,
    hasRefreshToken: row.hasRefreshToken,
    sessionsEnded: row.sessionsEnded,
    // No PocketBase token of the record is valid after this (a realtime connection aside): no check after it.
    sessionsAliveUntil: row.sessionUntil > 0 ? new Date(row.sessionUntil).toISOString() : null,
  }));
  e.json(200, { page, perPage: PAGE_SIZE, items });
}

/** Email and name (the collection's OAuth2 name mapping) of each record, in one query. */
function whoIs(app: CoreApp, collectionId: string, ids: readonly string[]): Map<string, { email: string; name: string | null }> {
  const people = new Map<string, { email: string; name: string | null }>();
  if (ids.length === 0) return people;
  let records: core.Record[];
  try {
    records = app.findRecordsByIds(collectionId, [...ids]) as core.Record[];
  } catch {
    return people; // the collection is gone: ids only
  }
  for (const record of records) {
    const collection = record.collection();
    const nameField = collection.oauth2.mappedFields.name || 'name';
    const name = collection.fields.getByName(nameField) ? record.getString(nameField) : null;
    people.set(record.id, { email: record.email(), name });
  }
  return people;
}

/**
 * `GET /api/authelia/status/me`, for the signed-in record itself (no superuser): when PocketBase last
 * confirmed it with Authelia and when an auth-refresh will ask again, so a frontend can say what a
 * refresh did. Times only: never a token, nothing about other records.
 */
export function ownCheckStatus(e: core.RequestEvent): void {
  const state = loadState(e.app);
  const record = e.auth;
  const active = state?.status === 'active' ? state : undefined;
  const check = active && record && record.collection().id === active.collectionId ? storedCheck(e.app, record.id) : undefined;
  const checkedAt = check && check.checkedAt > 0 ? check.checkedAt : undefined;
  const dueAt = active && checkedAt !== undefined ? refreshDueAt(checkedAt, active.revalidation) : null;
  e.json(200, {
    linked: check !== undefined,
    lastSuccessfulCheck: checkedAt === undefined ? null : new Date(checkedAt).toISOString(),
    nextCheckAtRefresh: dueAt === null ? null : new Date(dueAt).toISOString(),
    revalidateAfter: !active ? null : active.revalidation.revalidateAfterSeconds === 0 ? 'off' : formatDuration(active.revalidation.revalidateAfterSeconds),
    sweep: !active ? null : active.revalidation.sweep ?? 'off',
  });
}

/**
 * When an auth-refresh starts asking Authelia again: the first whole second at which `dueAtRefresh`
 * (the rule the refresh itself applies) holds, searched up to AUTHELIA_MAX_SESSION; null when it never does.
 */
function refreshDueAt(checkedAt: number, settings: RevalidationSettings): number | null {
  if (dueAtRefresh({ checkedAt }, checkedAt, settings)) return checkedAt;
  let low = 0;
  let high = Math.max(settings.revalidateAfterSeconds, settings.maxSessionSeconds);
  if (!dueAtRefresh({ checkedAt }, checkedAt + high * 1000, settings)) return null;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (dueAtRefresh({ checkedAt }, checkedAt + middle * 1000, settings)) high = middle;
    else low = middle;
  }
  return checkedAt + high * 1000;
}
