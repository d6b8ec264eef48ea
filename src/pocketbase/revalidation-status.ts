import { formatDuration } from '../core/duration.js';
import { LAST_SWEEP_KEY, type ActiveState } from '../core/state.js';
import { currentOutage } from './outage.js';
import { loadState } from './state-store.js';
import { loadRevalidationSecrets } from './revalidation-secrets.js';
import { listRows, outcomeCounts, VAULT_TABLE } from './token-vault.js';

/** The revalidation part of `GET /api/authelia/status`: settings, records per outcome, the last sweep. Never a token. */
export function revalidationStatus(app: CoreApp, state: ActiveState): Record<string, unknown> {
  const settings = state.revalidation;
  const raw: unknown = app.store().get(LAST_SWEEP_KEY);
  const counts = outcomeCounts(app, state);
  return {
    ...settings,
    revalidateAfter: settings.revalidateAfterSeconds === 0 ? 'off' : formatDuration(settings.revalidateAfterSeconds),
    maxSession: formatDuration(settings.maxSessionSeconds),
    sweep: settings.sweep ?? 'off',
    linkedRecords: counts.linked,
    withRefreshToken: counts.withRefreshToken,
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
 * record's last successful check with Authelia, oldest first.
 */
export function recordsStatus(e: core.RequestEvent): void {
  const state = loadState(e.app);
  if (state?.status !== 'active') {
    e.json(200, { page: 1, perPage: PAGE_SIZE, items: [] });
    return;
  }
  const page = Math.max(1, Math.floor(Number(e.request?.url?.query().get('page')) || 1));
  const items = listRows(e.app, state, PAGE_SIZE, (page - 1) * PAGE_SIZE).map((row) => ({
    recordId: row.recordId,
    lastSuccessfulCheck: row.stored && row.checkedAt > 0 ? new Date(row.checkedAt).toISOString() : null,
    lastAttempt: row.attemptedAt > 0 ? new Date(row.attemptedAt).toISOString() : null,
    outcome: row.lastOutcome,
    hasRefreshToken: row.hasRefreshToken,
    sessionsEnded: row.sessionsEnded,
  }));
  e.json(200, { page, perPage: PAGE_SIZE, items });
}
