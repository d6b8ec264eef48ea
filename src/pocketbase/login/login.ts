import { decideLogin } from '../../core/login/login-decision.js';
import { CHECKED_SUBJECT_KEY_PREFIX, LOGIN_PROBLEM_STORE_KEY, PENDING_VALUES_KEY, type ActiveState, type LoginProblem } from '../../core/stores/state.js';
import { revokeAccess, saveClaims, stageClaims } from './access.js';
import { logInfo, logWarn } from '../log.js';
import { noteAutheliaWorks } from '../checks/outage.js';
import { withMembership } from './managed-values.js';
import { refuseOtherProvider } from '../guard/sign-in-gate.js';
import { loadState } from '../stores/app-store.js';
import { loadGuards } from '../stores/registry-store.js';
import { discardLoginTokens, storeLoginTokens, withholdTokens } from './login-tokens.js';
import { noteIssuedToken } from '../stores/token-vault.js';
import { dropTokensRefreshedAtLogin } from './token-lifespan.js';
import { currentMark, rememberLogin, unchangedSinceLastLogin } from './fast-path.js';
import { claimedProfile } from '../../core/login/profile-rules.js';
import { lookedUp } from '../../core/login/userinfo-lookup.js';
import { AUTHELIA_REMEDY, claimedUsername } from '../../core/login/relink-rules.js';
import { approveRelink, relinkDecision } from './relink.js';

const GATE_REFUSAL = 'login refused: the user is in none of AUTHELIA_ALLOWED_GROUPS';
const WITHOUT_LOOKUP = 'Authelia answered userinfo without looking the user up (no profile or email claim): its user backend may be down, or the user was removed or disabled';

/**
 * Every OAuth2 login to any auth collection; ours is recognised by collection
 * id and provider slot, so a collection addressed by id, in another letter
 * case or renamed since boot is still ours. Refuses a second Authelia account
 * on a linked record (unless it is the record's own Authelia user back with a
 * new subject: then the link moves, see relink.ts) and users outside the
 * allowed groups (taking away what a linked record held), then makes the
 * managed fields equal to the claims.
 * Nothing is saved before PocketBase has linked the record to this subject: a
 * login that fails there leaves the record as it was.
 */
export function onOAuth2Login(e: core.RecordAuthWithOAuth2RequestEvent): void {
  // Each read of an event field crosses from JavaScript into Go: the fast path reads each once.
  const app = e.app;
  const state = loadState(app);
  if (state?.status !== 'active' || e.collection?.id !== state.collectionId || e.providerName !== state.provider) {
    refuseOtherProvider(app, e.collection?.id, e.record);
    e.next();
    // Another provider's sign-in (or ours while unconfigured) opens a session of the record too.
    if (e.record) noteIssuedToken(app, e.record, Date.now());
    return;
  }
  const record = e.record ?? undefined;
  const user = e.oAuth2User ?? undefined;
  dropTokensRefreshedAtLogin(app, user, state);
  const rawUser = user?.rawUser as Record<string, unknown> | undefined;
  if (!lookedUp((claim) => rawUser?.[claim])) {
    // Authelia's answer when it could not look the user up: the same for a removed user and for
    // its user backend (LDAP) being down. Neither may cost anybody groups or sessions here (the
    // checks after the login tell the two apart); the login waits for a real answer. Checked
    // before the fast path too: a mark alone could match such an answer (login-time groups).
    const subject = String(rawUser?.['sub'] ?? '');
    discardLoginTokens(app, user);
    logWarn(app, `login refused for now: ${WITHOUT_LOOKUP}; nothing changed`, 'sub', subject);
    remember(app, subject, `login refused for now: ${WITHOUT_LOOKUP}`);
    throw new ApiError(503, 'Authelia could not look your account up right now. Please try again in a few minutes.');
  }
  // Authelia looked the user up: whatever outage was noted is over.
  noteAutheliaWorks(app, Date.now());
  if (record && unchangedSinceLastLogin(app, record, currentMark(record, rawUser, state.login, app))) {
    // Same claims, same record, same groups as the last clean login: its decision stands and the
    // record holds it. Only Authelia's new tokens are kept (revalidation needs them).
    const tokens = user ? withholdTokens(user) : undefined;
    e.next();
    if (tokens) storeLoginTokens(app, record, tokens, state, claimedUsername((claim) => rawUser?.[claim]));
    return;
  }
  // rawUser is a Go map: a JSON round trip gives plain JS values (arrays stay arrays).
  const claims = JSON.parse(JSON.stringify(rawUser ?? {})) as Record<string, unknown>;
  const subject = String(claims['sub'] ?? '');
  const link = record ? linkOf(app, record, autheliaSlots(app, state), subject) : 'none';

  // The record found by this email is linked to another subject: another Authelia account, or the
  // same Authelia user with a new subject after Authelia lost its storage (src/core/login/relink-rules.ts).
  const linkedTo = record && link === 'another' ? linkedSubject(app, record, e.providerName) : undefined;
  const relink = record && linkedTo !== undefined ? relinkDecision(app, state, record, claims) : undefined;
  if (record && link === 'another' && !relink?.relink) {
    // The record's own Authelia user, refused only because AUTHELIA_RELINK is off, keeps the
    // sessions that went on; any other account sharing the email ends them.
    if (!relink?.sameUser) revokeAccess(app, record, 'a different Authelia account (sub) signed in with its email');
    discardLoginTokens(app, user);
    refuse(app, subject, `login refused: the record with this email is linked to another Authelia account (a different sub): ${relink?.why ?? 'its link changed meanwhile'}`, 'record', record.id);
    if (relink?.sameUser) {
      logWarn(app, `login refused because AUTHELIA_RELINK is off, although the Authelia user "${claimedUsername(claims)}" came back with a new sub and the Authelia ` +
        "username and verified email kept for the record: Authelia's storage was probably reset; a superuser unlinks the old account (or turns AUTHELIA_RELINK on) " +
        `so that the next sign-in links the new one; ${AUTHELIA_REMEDY}`, 'record', record.id, 'oldSub', linkedTo, 'newSub', subject);
    }
    throw new ForbiddenError('This email address already belongs to another Authelia account here. Ask an administrator to unlink the old account.');
  }

  if (!record) {
    createWithClaims(e, claims, subject, state);
    return;
  }
  const staged = stageClaims(app, record, claims, state);
  report(app, subject, staged.warnings);
  if (staged.kind === 'refused') {
    // A record found only by email is somebody's local account: refuse, touch nothing. The record's
    // own Authelia user (a relink included) was refused by Authelia's groups: access goes.
    if (link === 'this' || relink?.relink) revokeAccess(app, record, 'the user is in none of AUTHELIA_ALLOWED_GROUPS');
    discardLoginTokens(app, user);
    refuse(app, subject, GATE_REFUSAL, 'groups', staged.groups.join(','));
    throw new ForbiddenError(staged.reason);
  }
  // An account becoming Authelia-only: sessions its password (or anything
  // else) opened before end now; the token this login returns uses the new key.
  const renewKey = link === 'none' && state.login.autheliaOnly;
  if (renewKey) record.refreshTokenKey();
  const tokens = user ? withholdTokens(user) : undefined;
  // PocketBase writes the new link inside e.next(); relink.ts drops the old one in that transaction.
  if (relink?.relink && linkedTo !== undefined) approveRelink(app, state, record, linkedTo, subject, relink.username);
  // The response written inside e.next() shows the staged values; PocketBase
  // saves them in its own transaction if it updates the record there.
  e.next();
  // A login that takes groups away (or ends older sessions) must land even when an
  // unrelated field no longer validates (a required field added since).
  const saved = staged.changed || renewKey ? saveClaims(app, record, renewKey ? [...staged.fields, 'tokenKey'] : staged.fields) : undefined;
  if (link !== 'this') app.store().set(checkedSubjectKey(e.providerName, record.id), subject);
  if (tokens) storeLoginTokens(app, record, tokens, state, claimedUsername(claims));
  const email = state.login.syncProfile ? claimedProfile(claims).email : undefined;
  // The mark holds the `updated` stamp the database has now (a save renewed it).
  rememberLogin(app, saved ?? record, rawUser, state.login, {
    linkedBefore: link === 'this',
    warnings: staged.warnings.length,
    profileHeldBack: email !== undefined && record.email() !== email,
  });
}

/** A new record: PocketBase creates it inside e.next() through an internal create request, which copies this event's store. */
function createWithClaims(e: core.RecordAuthWithOAuth2RequestEvent, claims: Readonly<Record<string, unknown>>, subject: string, state: ActiveState): void {
  const forged = forgedCreateData(JSON.parse(JSON.stringify(e.createData ?? {})) as Record<string, unknown>, claims);
  if (forged.length > 0) {
    refuse(e.app, subject, `login refused: createData tried to set ${forged.join(', ')}`);
    throw new BadRequestError(`${forged.join(', ')} cannot be set in createData when Authelia creates the account.`);
  }
  const decision = decideLogin(claims, state.login);
  report(e.app, subject, decision.warnings);
  if (!decision.allowed) {
    discardLoginTokens(e.app, e.oAuth2User);
    refuse(e.app, subject, GATE_REFUSAL, 'groups', decision.groups.join(','));
    throw new ForbiddenError(decision.reason);
  }
  e.set(PENDING_VALUES_KEY, JSON.stringify(withMembership(e.app, decision.values, state.login)));
  const tokens = e.oAuth2User ? withholdTokens(e.oAuth2User) : undefined;
  e.next();
  if (e.record && tokens) storeLoginTokens(e.app, e.record, tokens, state, claimedUsername(claims));
}

/**
 * What a client may not choose for an account Authelia creates: a password
 * (it would sign in without Authelia), the verified flag, or an email other
 * than the one Authelia vouches for (it would pass for somebody else's).
 */
function forgedCreateData(createData: Readonly<Record<string, unknown>>, claims: Readonly<Record<string, unknown>>): string[] {
  const forged = ['password', 'passwordConfirm', 'verified'].filter((field) => field in createData);
  if ('email' in createData && createData['email'] !== claims['email']) forged.push('email');
  return forged;
}

/**
 * Whether the record is linked to this Authelia subject, to another one, or
 * not yet (found by its verified email). Authelia may give two people the same
 * email, so a record that belongs to one subject is never merged with another
 * (Authelia's advice: identify users by issuer + sub).
 */
function linkOf(app: CoreApp, record: core.Record, slots: readonly string[], subject: string): 'this' | 'another' | 'none' {
  // A confirmed link is remembered for the life of the process: links are only
  // added by logins, and a superuser's unlink makes the next login look again.
  const key = checkedSubjectKey(slots[0] ?? '', record.id);
  if (app.store().get(key) === subject) return 'this';
  const links = app.findAllExternalAuthsByRecord(record).filter((candidate) => candidate !== undefined && slots.includes(candidate.provider()));
  if (links.some((candidate) => candidate?.providerId() === subject)) {
    app.store().set(key, subject);
    return 'this';
  }
  return links.length > 0 ? 'another' : 'none';
}

/**
 * The provider slots that hold Authelia links of the collection: the current one first, then every
 * slot an earlier AUTHELIA_PROVIDER registered (the guard registry keeps them). A record linked
 * through an old slot is still linked: another Authelia account with its email must not take it
 * over after a slot move.
 */
function autheliaSlots(app: CoreApp, state: ActiveState): string[] {
  const earlier = loadGuards(app)?.collections[state.collectionId]?.providers ?? [];
  return [state.provider, ...earlier.filter((slot) => slot !== state.provider)];
}

/** The subject the record is linked to through this slot (one at most: PocketBase's unique index). */
function linkedSubject(app: CoreApp, record: core.Record, provider: string): string | undefined {
  return app.findAllExternalAuthsByRecord(record).find((candidate) => candidate?.provider() === provider)?.providerId();
}

function checkedSubjectKey(provider: string, recordId: string): string {
  return `${CHECKED_SUBJECT_KEY_PREFIX}${provider}.${recordId}`;
}

function report(app: CoreApp, subject: string, warnings: readonly string[]): void {
  for (const warning of warnings) {
    logWarn(app, warning, 'sub', subject);
    remember(app, subject, warning);
  }
}

function refuse(app: CoreApp, subject: string, message: string, ...attributes: unknown[]): void {
  logInfo(app, message, 'sub', subject, ...attributes);
  remember(app, subject, message);
}

function remember(app: CoreApp, subject: string, message: string): void {
  const problem: LoginProblem = { at: new Date().toISOString(), sub: subject, message };
  app.store().set(LOGIN_PROBLEM_STORE_KEY, JSON.stringify(problem));
}
