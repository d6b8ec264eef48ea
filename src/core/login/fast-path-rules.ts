import type { LoginSettings } from './login-decision.js';

/**
 * The claims an existing user's login depends on: the subject (the link), the
 * groups claim (the gate, groups, membership and roles) and the profile claims
 * (AUTHELIA_SYNC_PROFILE). Nothing else in the claims changes what a login does.
 */
export function decisiveClaims(settings: Pick<LoginSettings, 'groupsClaim'>): readonly string[] {
  return ['sub', settings.groupsClaim, 'email', 'email_verified', 'name', 'picture'];
}

/** What a login read to decide, and whatever could have made it decide otherwise since. */
export interface LoginMarkParts {
  /** The decisive claims as Authelia sent them, in `decisiveClaims` order (`claimsFingerprint`). */
  readonly claims: string;
  /** The record's `updated` stamp: PocketBase renews it at every save of the record, a hand edit included. */
  readonly recordUpdated: string;
  /** The collection's `updated` stamp: a field, its type or the OAuth2 mapping changed. */
  readonly collectionUpdated: string;
  /** Bumped by every change or deletion of a group record (a rename changes what the membership means). */
  readonly groupsGeneration: string;
}

/**
 * The fingerprint of one login's inputs. Two logins with the same mark find
 * the record exactly as the first one left it and make the same decision, so
 * the second has nothing to do. `undefined` (never skip) when the record has
 * no `updated` stamp to tell an edit.
 */
export function loginMark(parts: LoginMarkParts, hash: (text: string) => string): string | undefined {
  if (parts.recordUpdated === '' || parts.collectionUpdated === '') return undefined;
  return hash(JSON.stringify([parts.claims, parts.recordUpdated, parts.collectionUpdated, parts.groupsGeneration]));
}

/** The decisive claims in a fixed order, so that equal claims give equal text whatever order the map had. */
export function claimsFingerprint(read: (claim: string) => unknown, settings: Pick<LoginSettings, 'groupsClaim'>): string {
  return JSON.stringify(decisiveClaims(settings).map((claim) => read(claim) ?? null));
}

/** What a full login learned, to decide whether the next one with the same mark may skip the work. */
export interface FullLoginOutcome {
  /** The record was already linked to this subject (not linked by this login, not another account). */
  readonly linkedBefore: boolean;
  /** A dropped group entry or a missing claim: warned about at every login, never skipped. */
  readonly warnings: number;
  /** AUTHELIA_SYNC_PROFILE kept the old email (another record holds Authelia's): look again next time. */
  readonly profileHeldBack: boolean;
  /** The record's `updated` is an autodate field renewed at every update. */
  readonly stampedOnUpdate: boolean;
}

/** Only a clean, complete login may let the next identical one skip its work. */
export function mayRemember(outcome: FullLoginOutcome): boolean {
  return outcome.linkedBefore && outcome.warnings === 0 && !outcome.profileHeldBack && outcome.stampedOnUpdate;
}
