import { ACCESS_TOKEN_MARGIN_MS, MAX_PEERS_ASKED, readUserinfo, type BackendEvidence } from '../../core/checks/revalidation.js';
import type { ActiveState } from '../../core/stores/state.js';
import { userinfo } from './authelia-client.js';
import { unseal, type RevalidationSecrets } from '../stores/token-secrets.js';
import { otherCheckableRecords, peersWithLiveAccessToken } from '../stores/token-vault.js';

/**
 * Asks Authelia, right now, about other linked records with their live access
 * tokens, one after another until one is answered normally (a few at most):
 * the only way to tell a removed user from an unreachable user backend, since
 * Authelia answers both the same. Reads and changes nothing of those records.
 */
export function askPeers(app: CoreApp, state: ActiveState, secrets: RevalidationSecrets, self: string, otherSuspects: ReadonlySet<string>, now: number): BackendEvidence {
  // Records Authelia just answered without a lookup are no evidence either way, and
  // several of them at once with nobody else to ask is exactly what an outage looks like.
  const exclude = new Set([self, ...otherSuspects]);
  const peers = peersWithLiveAccessToken(app, state, exclude, now + ACCESS_TOKEN_MARGIN_MS, MAX_PEERS_ASKED);
  let asked = 0;
  for (const peer of peers) {
    const accessToken = unseal(secrets, peer.accessToken);
    if (!accessToken) continue; // unreadable under this key: not evidence either way
    asked++;
    const reading = readUserinfo(userinfo(state, accessToken), peer.subject);
    if (reading.kind === 'current') return 'works';
    if (reading.kind === 'unreachable') return 'unreachable';
  }
  // Nobody to ask now, but another record holds a refresh token: not alone, so
  // not a reason to believe; its next check (or the sweep) gives evidence.
  if (asked === 0 && otherSuspects.size === 0 && !otherCheckableRecords(app, state, exclude, now)) return 'lone';
  return 'silent';
}
