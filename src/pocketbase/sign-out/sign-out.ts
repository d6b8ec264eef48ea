import type { SignOutAnswer } from '../../core/sign-out/sign-out-rules.js';
import { endRecordSessions } from '../login/access.js';
import { logInfo } from '../log.js';
import { loadGuards } from '../stores/registry-store.js';
import { countSignOut, revokeNow } from './revocation.js';
import { loadState } from '../stores/app-store.js';
import { markSignedOut, storedTokens } from '../stores/token-vault.js';

/**
 * `POST /api/authelia/sign-out` with the record's own token: PocketBase has no
 * server-side sign-out (clearing the SDK's store leaves the token valid until
 * it expires). Ends every session of the record on every device, revokes its
 * Authelia grant, and answers where the browser ends Authelia's own session.
 */
export function onSignOut(e: core.RequestEvent): void {
  const record = e.auth;
  if (!record) throw new UnauthorizedError('Sign in first: this signs out the record whose token calls it.');
  const answer = signOut(e.app, record);
  logInfo(e.app, 'signed out: every session ended and the Authelia grant revoked', 'record', record.id, 'collection', record.collection().name);
  e.json(200, answer);
}

/**
 * `POST /api/authelia/records/{collection}/{id}/sign-out`, superusers only:
 * the same for any record, for incident response. The log names who did it.
 */
export function onSuperuserSignOut(e: core.RequestEvent): void {
  const collection = e.request?.pathValue('collection') ?? '';
  const id = e.request?.pathValue('id') ?? '';
  let record: core.Record;
  try {
    record = e.app.findRecordById(collection, id);
  } catch {
    throw new NotFoundError('No record with this id in this collection.');
  }
  if (!record.collection().isAuth()) throw new BadRequestError('Only records of auth collections have sessions to end.');
  const answer = signOut(e.app, record);
  logInfo(e.app, 'a superuser signed a record out: every session ended and the Authelia grant revoked', 'record', record.id, 'collection', record.collection().name,
    'superuser', e.auth?.id ?? '', 'superuserEmail', e.auth?.email() ?? '');
  e.json(200, answer);
}

/**
 * PocketBase's side first, so that it always completes: a new token key (every
 * token of the record stops working, realtime connections dropped), then the
 * stored tokens revoked at Authelia (a failure is logged, counted and retried
 * by the revocation job; it never fails the sign-out).
 */
function signOut(app: CoreApp, record: core.Record): SignOutAnswer {
  const sealed = storedTokens(app, record.id);
  endRecordSessions(app, record);
  markSignedOut(app, record.id);
  countSignOut(app);
  if (sealed) revokeNow(app, sealed);
  const state = loadState(app);
  const linked = isLinkedToAuthelia(app, record);
  return { autheliaSignOutURL: linked && state?.status === 'active' ? state.signOutURL : null };
}

function isLinkedToAuthelia(app: CoreApp, record: core.Record): boolean {
  const providers = loadGuards(app)?.collections[record.collection().id]?.providers ?? [];
  if (providers.length === 0) return false;
  return app.findAllExternalAuthsByRecord(record).some((link) => !!link && providers.includes(link.provider()));
}
