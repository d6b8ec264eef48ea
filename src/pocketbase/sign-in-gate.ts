import { VIA_AUTHELIA_KEY } from '../core/state.js';
import { loadGuards } from './registry-store.js';

/**
 * AUTHELIA_ONLY: a record linked to Authelia signs in only through Authelia,
 * so a password set later (reset by email, a superuser) or another provider
 * cannot skip Authelia's second factor, its account disabling or the
 * allowed-groups gate. Runs for every auth response, after the credentials
 * were checked (a wrong password still gets PocketBase's own answer, so the
 * 403 tells nothing to someone who does not know the password).
 */
export function onRecordAuth(e: core.RecordAuthRequestEvent): void {
  // Token refreshes and superuser impersonation are not sign-ins.
  if (e.authMethod === '' || e.get(VIA_AUTHELIA_KEY) === true) {
    e.next();
    return;
  }
  const guards = loadGuards(e.app);
  const providers = guards?.authOnly ? guards.collections[e.collection?.id ?? '']?.providers : undefined;
  if (providers && providers.length > 0 && e.record && linkedToAuthelia(e.app, e.record, providers)) {
    throw new ForbiddenError('This account signs in with Authelia only: use "Login with Authelia".');
  }
  e.next();
}

function linkedToAuthelia(app: CoreApp, record: core.Record, providers: readonly string[]): boolean {
  return app.findAllExternalAuthsByRecord(record).some((link) => link !== undefined && providers.includes(link.provider()));
}
