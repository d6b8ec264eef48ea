// A returning Authelia user with a new subject. Authelia keeps each user's `sub` (a random UUID per
// user and sector) in its storage, table `user_opaque_identifier`; an empty storage hands out new
// ones at the next sign-in. Such a login meets a record linked to the old `sub`. It is the same
// Authelia user only when both the Authelia username (`preferred_username`, Authelia's own key for
// the subject) and the verified email are exactly those kept for that record: the username alone is
// what Authelia itself trusts, the email narrows it to the one record PocketBase found.

/** What decides a relink: the login's claims and what the extension kept for the record it found. */
export interface RelinkInput {
  /** AUTHELIA_RELINK. */
  readonly enabled: boolean;
  readonly claims: Readonly<Record<string, unknown>>;
  /** The record's email as stored. */
  readonly recordEmail: string;
  /** The Authelia username the extension kept for the record ('' when none is kept yet). */
  readonly keptUsername: string;
}

export type RelinkDecision =
  | { readonly relink: true; readonly username: string }
  /** `sameUser`: username and email match, so the refusal is about the setting or nothing else. */
  | { readonly relink: false; readonly why: string; readonly sameUser: boolean };

export function decideRelink(input: RelinkInput): RelinkDecision {
  const username = input.claims['preferred_username'];
  const email = input.claims['email'];
  const verified = input.claims['email_verified'] === true;
  if (input.keptUsername === '') {
    return { relink: false, sameUser: false, why: 'no Authelia username is kept for the record yet (linked before this release and not signed in or checked since)' };
  }
  if (typeof username !== 'string' || username !== input.keptUsername) {
    return { relink: false, sameUser: false, why: 'the Authelia username differs from the one kept for the record' };
  }
  if (!verified || typeof email !== 'string' || email !== input.recordEmail) {
    return { relink: false, sameUser: false, why: "the verified email differs from the record's" };
  }
  if (!input.enabled) return { relink: false, sameUser: true, why: 'AUTHELIA_RELINK is off' };
  return { relink: true, username };
}

/** The username a login or a check keeps for the record: Authelia's, as it sent it ('' when it sent none). */
export function claimedUsername(claims: Readonly<Record<string, unknown>> | ((claim: string) => unknown)): string {
  const value = typeof claims === 'function' ? claims('preferred_username') : claims['preferred_username'];
  return typeof value === 'string' ? value : '';
}

/**
 * Relinks close together: each within BURST_GAP_MS of the one before belongs to the same burst. One
 * user may come back with a new subject for reasons of their own (an administrator re-added them);
 * two different users within the hour is what a reset storage (or a changed sector identifier)
 * looks like.
 */
export const BURST_GAP_MS = 3600_000;
export const BURST_THRESHOLD = 2;
/** How long the status page shows a burst after its last relink. */
export const BURST_SHOWN_MS = 24 * 3600_000;

export interface SubjectChanges {
  /** Epoch milliseconds of the burst's first relink. */
  readonly since: number;
  readonly last: number;
  readonly count: number;
}

/** The burst after one more relink at `now`, and whether it just became one to announce (once per burst). */
export function noteSubjectChange(previous: SubjectChanges | undefined, now: number): { readonly next: SubjectChanges; readonly announce: boolean } {
  const continues = previous !== undefined && now - previous.last <= BURST_GAP_MS;
  const next = continues ? { since: previous.since, last: now, count: previous.count + 1 } : { since: now, last: now, count: 1 };
  return { next, announce: next.count === BURST_THRESHOLD };
}

/** What the status page shows: a burst of several relinks, for a day after its last one; otherwise `null`. */
export function shownSubjectChanges(current: SubjectChanges | undefined, now: number): { readonly since: string; readonly count: number } | null {
  if (!current || current.count < BURST_THRESHOLD || now - current.last > BURST_SHOWN_MS) return null;
  return { since: new Date(current.since).toISOString(), count: current.count };
}

/**
 * Authelia's remedy, for the log lines. Other OpenID clients of the same Authelia see the new
 * subjects too, so restoring the identifiers is worth it even though this login needs nothing more.
 * Measured on 4.38.19 and 4.39.20: `import` inserts row by row and stops at the first user who
 * already has a new identifier (UNIQUE constraint failed), so users who signed in since must be
 * taken out of the file first.
 */
export const AUTHELIA_REMEDY =
  "before other users sign in again, restore Authelia's user identifiers from a backup of its old storage " +
  '(`authelia storage user identifiers export --file ids.yml` against it, then `authelia storage user identifiers import ids.yml` against the new one, ' +
  'leaving out the users who signed in since), or one user at a time with `authelia storage user identifiers add <username> --identifier <their old sub>`; ' +
  'see docs/operations.md';
