// The demo IdP's user directory: Authelia's file backend, in memory and editable at runtime.
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IdpUser } from './idp-types.js';

export class UserDirectory {
  readonly #byUsername = new Map<string, IdpUser>();
  // Authelia gives every user an opaque random UUID as `sub` (its "user opaque identifier"),
  // kept in its database. Ours lives as long as the IdP: once a username has a sub, it keeps it.
  readonly #subByUsername = new Map<string, string>();
  // The same, the other way round: userinfo looks a token's sub up at every call.
  readonly #usernameBySub = new Map<string, string>();
  // An unreachable user backend (LDAP down): every lookup fails, as in Authelia's
  // UserProvider when its connection fails.
  #backendDown = false;

  constructor(users: readonly IdpUser[]) {
    for (const user of users) this.set(user);
  }

  /**
   * Adds or replaces a user by username. An explicit `sub` wins; a sub belongs to one account
   * only, so giving an existing sub to a new username renames that account (the old username
   * stops working), which is how tests simulate a renamed user.
   */
  set(user: IdpUser): void {
    if (typeof user?.username !== 'string' || user.username === '') throw new TypeError('IdpUser.username must be a non-empty string');
    if (typeof user.password !== 'string') throw new TypeError('IdpUser.password must be a string');
    // Copy so that callers mutating their object later do not change the IdP behind its back.
    const copy: IdpUser = { ...user };
    const sub = user.sub ?? this.#subByUsername.get(user.username) ?? randomUUID();
    const holder = this.#usernameBySub.get(sub);
    if (holder !== undefined && holder !== user.username) {
      this.#subByUsername.delete(holder);
      this.#byUsername.delete(holder);
    }
    const previous = this.#subByUsername.get(user.username);
    if (previous !== undefined && previous !== sub) this.#usernameBySub.delete(previous);
    this.#subByUsername.set(user.username, sub);
    this.#usernameBySub.set(sub, user.username);
    this.#byUsername.set(user.username, copy);
  }

  /**
   * Removes a user from the directory, like deleting them from Authelia's users file. Their sub
   * is kept, so adding the same username again brings back the same identity (Authelia keeps
   * the opaque identifier in its database). Returns false when there was no such user.
   */
  remove(username: string): boolean {
    return this.#byUsername.delete(username);
  }

  /**
   * Every user, removed ones included, gets a new random sub: Authelia's storage lost its user
   * identifiers, and it makes a new one per username when none is stored.
   */
  newSubjects(): void {
    this.#usernameBySub.clear();
    for (const username of this.#subByUsername.keys()) {
      const sub = randomUUID();
      this.#subByUsername.set(username, sub);
      this.#usernameBySub.set(sub, username);
    }
  }

  /** Takes the user backend down or brings it back; while down nobody can be looked up or sign in. */
  setBackend(state: 'up' | 'down'): void {
    if (state !== 'up' && state !== 'down') throw new TypeError(`setUserBackend: unknown state ${String(state)}`);
    this.#backendDown = state === 'down';
  }

  get backendDown(): boolean {
    return this.#backendDown;
  }

  /** Every current user, in insertion order (for the demo admin page). */
  list(): IdpUser[] {
    return [...this.#byUsername.values()];
  }

  /** The subject a username has (kept after removal, as Authelia keeps it in its database). */
  subOf(username: string): string | undefined {
    return this.#subByUsername.get(username);
  }

  /** The user with this username, or undefined. */
  byUsername(username: string): IdpUser | undefined {
    return this.#byUsername.get(username);
  }

  /** The current data of the account with this sub, or undefined (deleted or renamed away). */
  bySub(sub: string): { sub: string; user: IdpUser } | undefined {
    const username = this.#usernameBySub.get(sub);
    const user = username === undefined ? undefined : this.#byUsername.get(username);
    return user && { sub, user };
  }

  /**
   * The account with this sub if it may act as a person right now: present and not disabled.
   * Authelia answers userinfo for anyone else with `sub` only.
   */
  activeBySub(sub: string): { sub: string; user: IdpUser } | undefined {
    if (this.#backendDown) return undefined;
    const found = this.bySub(sub);
    return found && !found.user.disabled ? found : undefined;
  }

  /** Checks a username/password pair; returns the account's sub on success. A disabled user
   * fails exactly like a wrong password (Authelia does not say which). */
  authenticate(username: string, password: string): string | undefined {
    const user = this.#byUsername.get(username);
    // Compare digests in constant time, and do the work even for unknown users, so response
    // timing does not reveal which usernames exist.
    const ok = safeEqual(password, user?.password ?? randomUUID());
    return ok && user && !user.disabled && !this.#backendDown ? this.#subByUsername.get(username) : undefined;
  }
}

function safeEqual(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}
