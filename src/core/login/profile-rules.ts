import { parseHttpUrl } from '../boot/urls.js';

/** Profile values Authelia vouches for, taken from the claims of one login. */
export interface ClaimedProfile {
  readonly name?: string;
  /** Only when Authelia says the address is verified (it always does; PocketBase checks too). */
  readonly email?: string;
  readonly avatarURL?: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;

/**
 * PocketBase copies name, email and avatar only when it creates a record; this
 * is what a later login should bring up to date. Values that are missing,
 * empty or malformed are left out, so they never blank a field.
 */
export function claimedProfile(claims: Readonly<Record<string, unknown>>): ClaimedProfile {
  const name = typeof claims['name'] === 'string' ? claims['name'].trim() : '';
  const email = typeof claims['email'] === 'string' ? claims['email'].trim() : '';
  const picture = typeof claims['picture'] === 'string' ? claims['picture'].trim() : '';
  return {
    ...(name !== '' && name.length <= 255 ? { name } : {}),
    ...(claims['email_verified'] === true && EMAIL.test(email) ? { email } : {}),
    ...(parseHttpUrl(picture) !== undefined ? { avatarURL: picture } : {}),
  };
}
