import { loadGuards } from './registry-store.js';

/**
 * AUTHELIA_ONLY: a record linked to Authelia signs in only through Authelia,
 * so a password set later (reset by email, a superuser), a one-time password
 * or another OAuth2 provider cannot skip Authelia's second factor, its account
 * disabling or the allowed-groups gate. Each sign-in method has its own hook
 * so that an Authelia login runs no extra JavaScript.
 */
const REFUSAL = 'This account signs in with Authelia only: use "Login with Authelia".';

/**
 * PocketBase checks the password inside e.next(). A linked record's password
 * is checked here instead, once, and a wrong one gets PocketBase's own answer:
 * neither the status nor the time taken tells a guesser the account is linked.
 */
export function onPasswordAuth(e: core.RecordAuthWithPasswordRequestEvent): void {
  if (e.record && autheliaOnlyRecord(e.app, e.collection?.id, e.record)) {
    if (!e.record.validatePassword(e.password)) throw new BadRequestError('Failed to authenticate.');
    throw new ForbiddenError(REFUSAL);
  }
  e.next();
}

/** PocketBase has already checked the one-time password when this hook runs. */
export function onOtpAuth(e: core.RecordAuthWithOTPRequestEvent): void {
  if (e.record && autheliaOnlyRecord(e.app, e.collection?.id, e.record)) throw new ForbiddenError(REFUSAL);
  e.next();
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
