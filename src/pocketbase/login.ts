import { decideLogin } from '../core/login-decision.js';
import { PENDING_VALUES_KEY } from '../core/state.js';
import { logInfo, logWarn } from './log.js';
import { applyManagedValues, withMembership } from './managed-values.js';
import { loadState } from './state-store.js';

/**
 * Every OAuth2 login to the collection. For our provider: apply the
 * allowed-groups gate, then make the managed fields equal to the claims
 * before PocketBase writes its response, so the client sees the new groups.
 */
export function onOAuth2Login(e: core.RecordAuthWithOAuth2RequestEvent): void {
  const state = loadState(e.app);
  if (state?.status !== 'active' || e.providerName !== state.provider) {
    e.next();
    return;
  }
  // rawUser is a Go map: a JSON round trip gives plain JS values (arrays stay arrays).
  const claims = JSON.parse(JSON.stringify(e.oAuth2User?.rawUser ?? {})) as Record<string, unknown>;
  const decision = decideLogin(claims, state.login);
  const subject = String(claims['sub'] ?? '');
  for (const warning of decision.warnings) logWarn(e.app, warning, 'sub', subject);

  if (!decision.allowed) {
    logInfo(e.app, 'login refused: the user is in none of AUTHELIA_ALLOWED_GROUPS', 'sub', subject, 'groups', decision.groups.join(','));
    throw new ForbiddenError(decision.reason);
  }

  const values = withMembership(e.app, e.record, decision.values, state.login);
  if (e.record) {
    if (applyManagedValues(e.record, values)) e.app.save(e.record);
  } else {
    // The record does not exist yet: PocketBase creates it inside e.next()
    // through an internal create request, which copies this event's store.
    e.set(PENDING_VALUES_KEY, JSON.stringify(values));
  }
  e.next();
}
