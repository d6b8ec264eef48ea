import {
  AUTHELIA_REMEDY, decideRelink, noteSubjectChange, shownSubjectChanges, type RelinkDecision, type SubjectChanges,
} from '../../core/login/relink-rules.js';
import { RELINK_APPROVAL_KEY_PREFIX, RELINKS_KEY, type ActiveState } from '../../core/stores/state.js';
import { logWarn } from '../log.js';
import { loadState } from '../stores/app-store.js';
import { isAutheliaLink } from '../stores/registry-store.js';
import { forgetUnlinked, keptUsername } from '../stores/token-vault.js';

/*
 * A login whose new `sub` is the same Authelia user as a linked record's (src/core/login/relink-rules.ts) moves
 * that record's link. PocketBase writes the new link itself, inside e.next() and in its own
 * transaction, and its unique index (collectionRef, recordRef, provider) refuses a second link of
 * the record through the slot. So the login approves the move in the app store, and the record
 * hook on `_externalAuths` (onLinkCreate) deletes the old link in that same transaction, just
 * before PocketBase inserts the new one: the record is never without a link (a login with its
 * email from another account would find it unlinked and take it) and never has two.
 */

/** How long a login's approval waits for PocketBase to write the link: far more than a login takes. */
const APPROVAL_MS = 5 * 60_000;

interface Approval {
  readonly provider: string;
  /** The subject the record is linked to now, whose link goes. */
  readonly from: string;
  readonly username: string;
  readonly until: number;
}

interface RelinkCounts {
  readonly total: number;
  readonly burst?: SubjectChanges;
}

/** Whether this login's subject is the Authelia user of the record PocketBase found by its email. */
export function relinkDecision(app: CoreApp, state: ActiveState, record: core.Record, claims: Readonly<Record<string, unknown>>): RelinkDecision {
  return decideRelink({ enabled: state.login.relink, claims, recordEmail: record.email(), keptUsername: keptUsername(app, record.id) });
}

/**
 * Called right before e.next(): PocketBase may replace the record's link `from` with one to `to`.
 * Left to expire rather than removed after the login: a sign-in of the same subject racing this one
 * still needs it to be told from a stray second link.
 */
export function approveRelink(app: CoreApp, state: ActiveState, record: core.Record, from: string, to: string, username: string): void {
  const approval: Approval = { provider: state.provider, from, username, until: Date.now() + APPROVAL_MS };
  app.store().set(approvalKey(record.collection().id, record.id, to), JSON.stringify(approval));
}

/**
 * Every new `_externalAuths` row, before PocketBase inserts it and inside its transaction (`e.app`
 * is the transaction). A record this process took for a local account is one no more. Without an
 * approval for this record and subject: PocketBase's own business.
 */
export function onLinkCreate(e: core.RecordEvent): void {
  const link = e.record;
  if (link && followedLink(e.app, link)) forgetUnlinked(e.app, link.getString('recordRef'));
  const raw: unknown = link ? e.app.store().get(approvalKey(link.getString('collectionRef'), link.getString('recordRef'), link.getString('providerId'))) : undefined;
  const approval = typeof raw === 'string' ? (JSON.parse(raw) as Approval) : undefined;
  if (!link || !approval || approval.provider !== link.getString('provider') || approval.until < Date.now()) {
    e.next();
    return;
  }
  const where = { collection: link.getString('collectionRef'), record: link.getString('recordRef'), provider: approval.provider };
  // A plain DELETE: this is no unlink (unlink.ts would take the record's access away), the link moves.
  const removed = e.app
    .nonconcurrentDB()
    .newQuery('DELETE FROM {{_externalAuths}} WHERE [[collectionRef]] = {:collection} AND [[recordRef]] = {:record} AND [[provider]] = {:provider} AND [[providerId]] = {:from}')
    .bind({ ...where, from: approval.from })
    .execute()
    .rowsAffected();
  if (Number(removed) === 0) {
    const now = linkedSubjects(e.app, where);
    // A login of this same subject moved the link a moment ago (two sign-ins at once): it is there, once.
    if (now.includes(link.getString('providerId'))) return;
    // Linked to yet another subject meanwhile: the approval no longer describes the record.
    if (now.length > 0) throw new Error('the Authelia link this sign-in was to replace changed meanwhile; sign in again');
    // No link left (PocketBase itself drops the links of an unverified record here): linked as a first login would.
  }
  e.next();
  report(e.app, where.record, approval, link.getString('providerId'));
}

/**
 * Whether the checks follow links like this one (the configured slot, or one the guard registry
 * names): a link to another provider leaves a local account local. Any link while the configuration
 * is not active.
 */
function followedLink(app: CoreApp, link: core.Record): boolean {
  const state = loadState(app);
  if (state?.status !== 'active') return true;
  const configured = link.getString('collectionRef') === state.collectionId && link.getString('provider') === state.provider;
  return configured || isAutheliaLink(app, link);
}

/** Relinks since the start, and a burst of them while the status page shows it. */
export function relinkStatus(app: CoreApp): { relinks: number; subjectsChanged: { since: string; count: number } | null } {
  const counts = parseCounts(app.store().get(RELINKS_KEY));
  return { relinks: counts.total, subjectsChanged: shownSubjectChanges(counts.burst, Date.now()) };
}

function report(app: CoreApp, recordId: string, approval: Approval, to: string): void {
  const now = Date.now();
  let announce: SubjectChanges | undefined;
  app.store().setFunc(RELINKS_KEY, (old: unknown) => {
    const counts = parseCounts(old);
    const noted = noteSubjectChange(counts.burst, now);
    if (noted.announce) announce = noted.next;
    return JSON.stringify({ total: counts.total + 1, burst: noted.next } satisfies RelinkCounts);
  });
  logWarn(app,
    `relinked a record to a new Authelia subject: the Authelia user "${approval.username}" signed in with a sub never linked here, ` +
      "with the Authelia username and verified email kept for the record. Authelia's storage was probably reset or replaced without its user " +
      'identifiers (table user_opaque_identifier: a container without its volume, a move to another database), which gives every user a new sub ' +
      `(other OpenID clients of that Authelia see it too); ${AUTHELIA_REMEDY}`,
    'record', recordId, 'username', approval.username, 'oldSub', approval.from, 'newSub', to);
  if (announce) {
    logWarn(app,
      `${announce.count} Authelia users signed in with new subjects since ${new Date(announce.since).toISOString()}: Authelia's storage was probably reset (its user identifiers are gone); ` +
        `their records were relinked, each logged; ${AUTHELIA_REMEDY}`,
      'since', new Date(announce.since).toISOString());
  }
}

function linkedSubjects(app: CoreApp, where: { collection: string; record: string; provider: string }): string[] {
  const rows = arrayOf(new DynamicModel({ providerId: '' }));
  app
    .nonconcurrentDB()
    .newQuery('SELECT [[providerId]] FROM {{_externalAuths}} WHERE [[collectionRef]] = {:collection} AND [[recordRef]] = {:record} AND [[provider]] = {:provider}')
    .bind(where)
    .all(rows);
  return rows.map((row) => String(row['providerId']));
}

function approvalKey(collectionId: string, recordId: string, subject: string): string {
  return `${RELINK_APPROVAL_KEY_PREFIX}${collectionId}.${recordId}.${subject}`;
}

function parseCounts(raw: unknown): RelinkCounts {
  if (typeof raw !== 'string') return { total: 0 };
  try {
    return JSON.parse(raw) as RelinkCounts;
  } catch {
    return { total: 0 };
  }
}
