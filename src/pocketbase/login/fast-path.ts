import { claimsFingerprint, loginMark, mayRemember, type FullLoginOutcome } from '../../core/login/fast-path-rules.js';
import type { LoginSettings } from '../../core/login/login-decision.js';
import { GROUPS_GENERATION_KEY, LOGIN_MARK_KEY_PREFIX } from '../../core/stores/state.js';

/**
 * The fast path of an existing user's login: when the decisive claims, the
 * record, its collection and the group records are all as the last clean
 * login of this record left them, that login's decision still stands and the
 * record already holds it. Marks live in PocketBase's memory store (gone at a
 * restart, shared by every pooled runtime); any save of the record renews its
 * `updated` stamp, so a hand edit of the managed fields always takes the full
 * path and is undone.
 */
export function currentMark(record: core.Record, rawUser: unknown, login: LoginSettings, app: CoreApp): string | undefined {
  // Single reads from the Go map: a JSON round trip of the whole claims costs more.
  const claims = rawUser as Record<string, unknown> | undefined;
  return loginMark({
    claims: claimsFingerprint((claim) => claims?.[claim], login),
    recordUpdated: record.getString('updated'),
    collectionUpdated: record.collection().updated.string(),
    groupsGeneration: String(app.store().get(GROUPS_GENERATION_KEY) ?? 0),
  }, (text) => $security.sha256(text));
}

export function unchangedSinceLastLogin(app: CoreApp, record: core.Record, mark: string | undefined): boolean {
  return mark !== undefined && app.store().get(LOGIN_MARK_KEY_PREFIX + record.id) === mark;
}

/** After a full login (and its save): lets the next identical login skip, or makes sure it does not. */
export function rememberLogin(app: CoreApp, record: core.Record, rawUser: unknown, login: LoginSettings, outcome: Omit<FullLoginOutcome, 'stampedOnUpdate'>): void {
  const field = record.collection().fields.getByName('updated');
  const stampedOnUpdate = field?.type() === 'autodate' && (field as unknown as { onUpdate: boolean }).onUpdate === true;
  const mark = mayRemember({ ...outcome, stampedOnUpdate }) ? currentMark(record, rawUser, login, app) : undefined;
  if (mark === undefined) app.store().remove(LOGIN_MARK_KEY_PREFIX + record.id);
  else app.store().set(LOGIN_MARK_KEY_PREFIX + record.id, mark);
}
