import { OUTAGE_KEY } from '../../core/stores/state.js';
import { logInfo, logWarn } from '../log.js';

/** What the status page shows while Authelia cannot vouch for anybody. */
export interface Outage {
  /** `user-backend`: Authelia answers, but without looking users up (LDAP down); `unreachable`: no answer at all. */
  readonly kind: 'user-backend' | 'unreachable';
  /** Epoch milliseconds of the first sign of it. */
  readonly since: number;
  readonly reason: string;
}

const MESSAGES: Record<Outage['kind'], string> = {
  'user-backend':
    "Authelia answers without looking users up and no linked user is answered normally: its user backend looks down. Nobody loses access for it; the records wait and are checked first once Authelia answers normally (AUTHELIA_MAX_SESSION still applies)",
  unreachable: 'Authelia cannot be reached: nobody loses access for it; checks resume when it answers (AUTHELIA_MAX_SESSION still applies)',
};

/**
 * Notes an outage in PocketBase's memory store, shared by every runtime:
 * one warning when it starts, not one per record.
 */
export function noteOutage(app: CoreApp, kind: Outage['kind'], reason: string, now: number): void {
  const current = currentOutage(app);
  if (current?.kind === kind) return;
  const outage: Outage = { kind, since: current?.since ?? now, reason };
  app.store().set(OUTAGE_KEY, JSON.stringify(outage));
  logWarn(app, MESSAGES[kind], 'since', new Date(outage.since).toISOString(), 'reason', reason);
}

/** A normal answer: whatever outage was noted is over. */
export function noteAutheliaWorks(app: CoreApp, now: number): void {
  const current = currentOutage(app);
  if (!current) return;
  app.store().remove(OUTAGE_KEY);
  logInfo(app, 'Authelia answers normally again; records that waited are checked first', 'outageSeconds', Math.round((now - current.since) / 1000), 'kind', current.kind);
}

export function currentOutage(app: CoreApp): Outage | undefined {
  const raw: unknown = app.store().get(OUTAGE_KEY);
  if (typeof raw !== 'string') return undefined;
  try {
    return JSON.parse(raw) as Outage;
  } catch {
    return undefined;
  }
}
