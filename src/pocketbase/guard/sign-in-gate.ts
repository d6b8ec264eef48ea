import { logInfo } from '../log.js';
import { loadGuards } from '../stores/registry-store.js';
import { noteIssuedToken } from '../stores/token-vault.js';

/**
 * AUTHELIA_ONLY: a record linked to Authelia signs in only through Authelia,
 * so a password set later (reset by email, a superuser), a one-time password
 * or another OAuth2 provider cannot skip Authelia's second factor, its account
 * disabling or the allowed-groups gate. Each sign-in method has its own hook
 * so that an Authelia login runs no extra JavaScript. A sign-in they let
 * through (AUTHELIA_ONLY=false, or an account not linked) notes the session it
 * opens: a linked record with a live session stays under the sweep's checks.
 */
const REFUSAL = 'This account signs in with Authelia only: use "Login with Authelia".';

/**
 * A linked record's password sign-in gets PocketBase's own answer to a wrong
 * password, whatever the password: a different answer to the right one would
 * confirm a guessed (or superuser-set) password, and a different answer at all
 * would tell a guesser the account exists and is linked. The password is still
 * hashed so that the time taken does not tell either. The Authelia button is
 * the way in; the README says so.
 */
export function onPasswordAuth(e: core.RecordAuthWithPasswordRequestEvent): void {
  if (e.record && autheliaOnlyRecord(e.app, e.collection?.id, e.record)) {
    e.record.validatePassword(e.password);
    logInfo(e.app, 'password sign-in refused: the account is linked to Authelia and AUTHELIA_ONLY is on', 'record', e.record.id);
    throw new BadRequestError('Failed to authenticate.');
  }
  e.next();
  if (e.record) noteIssuedToken(e.app, e.record, Date.now());
}

/** PocketBase has already checked the one-time password when this hook runs. */
export function onOtpAuth(e: core.RecordAuthWithOTPRequestEvent): void {
  if (e.record && autheliaOnlyRecord(e.app, e.collection?.id, e.record)) throw new ForbiddenError(REFUSAL);
  e.next();
  if (e.record) noteIssuedToken(e.app, e.record, Date.now());
}

/** For an OAuth2 sign-in through a provider other than Authelia's. */
export function refuseOtherProvider(app: CoreApp, collectionId: string | undefined, record: core.Record | undefined): void {
  if (record && autheliaOnlyRecord(app, collectionId, record)) throw new ForbiddenError(REFUSAL);
}

function autheliaOnlyRecord(app: CoreApp, collectionId: string | undefined, record: core.Record): boolean {
  const guards = loadGuards(app);
  const providers = guards?.authOnly ? guards.collections[collectionId ?? '']?.providers : undefined;
  if (!providers || providers.length === 0) return false;
  return app.findAllExternalAuthsByRecord(record).some((link) => link !== undefined && providers.includes(link.provider()));
}
