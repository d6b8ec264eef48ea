import { decideLogin } from '../core/login-decision.js';
import { CHECKED_SUBJECT_KEY_PREFIX, LOGIN_PROBLEM_STORE_KEY, PENDING_VALUES_KEY, type LoginProblem } from '../core/state.js';
import { logInfo, logWarn } from './log.js';
import { applyManagedValues, withMembership } from './managed-values.js';
import { syncProfile } from './profile.js';
import { loadState } from './state-store.js';
import { storeLoginTokens } from './login-tokens.js';

/**
 * Every OAuth2 login to the collection. For our provider: refuse a second
 * Authelia account on a record already linked to another one, apply the
 * allowed-groups gate, then make the managed fields equal to the claims before
 * PocketBase writes its response, so the client sees the new groups.
 */
export function onOAuth2Login(e: core.RecordAuthWithOAuth2RequestEvent): void {
  const state = loadState(e.app);
  if (state?.status !== 'active' || e.providerName !== state.provider) {
    e.next();
    return;
  }
  // rawUser is a Go map: a JSON round trip gives plain JS values (arrays stay arrays).
  const claims = JSON.parse(JSON.stringify(e.oAuth2User?.rawUser ?? {})) as Record<string, unknown>;
  const subject = String(claims['sub'] ?? '');

  if (e.record && linkedToAnotherSubject(e.app, e.record, e.providerName, subject)) {
    refuse(e.app, subject, 'login refused: the record with this email is linked to another Authelia account (a different sub)');
    throw new ForbiddenError('This email address already belongs to another Authelia account here. Ask an administrator to unlink the old account.');
  }

  const decision = decideLogin(claims, state.login);
  for (const warning of decision.warnings) {
    logWarn(e.app, warning, 'sub', subject);
    remember(e.app, subject, warning);
  }
  if (!decision.allowed) {
    refuse(e.app, subject, 'login refused: the user is in none of AUTHELIA_ALLOWED_GROUPS', 'groups', decision.groups.join(','));
    throw new ForbiddenError(decision.reason);
  }

  const values = withMembership(e.app, e.record, decision.values, state.login);
  if (e.record) {
    const groupsChanged = applyManagedValues(e.record, values);
    const profileChanged = state.login.syncProfile && syncProfile(e.app, e.record, claims);
    if (groupsChanged || profileChanged) e.app.save(e.record);
  } else {
    // The record does not exist yet: PocketBase creates it inside e.next()
    // through an internal create request, which copies this event's store.
    e.set(PENDING_VALUES_KEY, JSON.stringify(values));
  }
  e.next();
  if (e.record && e.oAuth2User) storeLoginTokens(e.app, e.record, e.oAuth2User, state);
}

/**
 * PocketBase links a first login to an existing record with the same verified
 * email. Authelia may give two people the same email, so once a record belongs
 * to one Authelia subject, another subject is refused instead of merged
 * (Authelia's advice: identify users by issuer + sub, not by email).
 */
function linkedToAnotherSubject(app: CoreApp, record: core.Record, provider: string, subject: string): boolean {
  // Once checked, a record's subject is remembered for the life of the process:
  // links are only added by logins, which all pass here, so the query is needed
  // only for a record or subject not seen yet. Saves a query on almost every login.
  const key = `${CHECKED_SUBJECT_KEY_PREFIX}${provider}.${record.id}`;
  if (app.store().get(key) === subject) return false;
  const links = app.findAllExternalAuthsByRecord(record).filter((link) => link?.provider() === provider);
  const another = links.length > 0 && !links.some((link) => link?.providerId() === subject);
  if (!another) app.store().set(key, subject);
  return another;
}

function refuse(app: CoreApp, subject: string, message: string, ...attributes: unknown[]): void {
  logInfo(app, message, 'sub', subject, ...attributes);
  remember(app, subject, message);
}

function remember(app: CoreApp, subject: string, message: string): void {
  const problem: LoginProblem = { at: new Date().toISOString(), sub: subject, message };
  app.store().set(LOGIN_PROBLEM_STORE_KEY, JSON.stringify(problem));
}
