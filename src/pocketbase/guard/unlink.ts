import { revokeAccess } from '../login/access.js';
import { isAutheliaLink } from '../stores/registry-store.js';

/**
 * Authelia links (`_externalAuths` entries of a provider slot Authelia logins
 * used) hold everything together: the sign-in gate, the checks at auth-refresh
 * and the sweep all start from them. PocketBase lets any user delete their own
 * OAuth2 links; a user who drops theirs would keep their groups with no check
 * ever again. So only a superuser may remove one, and removing one (the unlink
 * procedure for a renamed Authelia account, a slip) takes away everything
 * Authelia granted and ends the record's sessions.
 */
export function onLinkDeleteRequest(e: core.RecordRequestEvent): void {
  if (!e.hasSuperuserAuth() && e.record && isAutheliaLink(e.app, e.record)) {
    throw new ForbiddenError('A link to Authelia can only be removed by an administrator.');
  }
  e.next();
}

export function onLinkDeleted(e: core.RecordEvent): void {
  e.next();
  const link = e.record;
  if (!link || !isAutheliaLink(e.app, link)) return;
  let record: core.Record;
  try {
    record = e.app.findRecordById(link.getString('collectionRef'), link.getString('recordRef'));
  } catch {
    return; // the record itself was deleted (its links go with it)
  }
  revokeAccess(e.app, record, 'its Authelia link was removed'); // its stored tokens go too, their grant revoked
}
