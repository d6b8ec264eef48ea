import type { Config } from '../../core/boot/config.js';
import { DISCOVERY_PATH, fallbackEndpoints, parseDiscovery, type Endpoints } from '../../core/boot/discovery-rules.js';
import type { DiscoveryOutcome } from '../../core/stores/state.js';
import { certificateAdvice, certificateProblem } from '../../core/boot/tls-advice.js';
import { logWarn } from '../log.js';

export interface Discovered {
  readonly endpoints: Endpoints;
  readonly outcome: DiscoveryOutcome;
}

/**
 * Reads Authelia's discovery document once at boot. When Authelia is down or
 * answers nonsense, logins use its fixed paths, so they work as soon as it is up.
 */
export function discoverEndpoints(app: CoreApp, config: Config): Discovered {
  const url = config.issuer + DISCOVERY_PATH;
  let document: unknown;
  try {
    const response = $http.send({ url, method: 'GET', timeout: config.discoveryTimeoutSeconds });
    if (response.statusCode !== 200) {
      return fallback(app, config, `${url} answered HTTP ${response.statusCode}`, null);
    }
    document = JSON.parse(toString(response.body));
  } catch (error) {
    const detail = describe(error);
    const problem = certificateProblem(detail);
    // A certificate problem does not heal when Authelia comes up: say what fixes it.
    if (problem !== undefined) return fallback(app, config, `${url} could not be read (${detail}); ${certificateAdvice(problem, 'pocketbase')}`, null);
    return fallback(app, config, `${url} could not be read (${detail})`, null);
  }
  const result = parseDiscovery(document, config.issuer, config);
  if (!result.ok) {
    return fallback(app, config, `${url}: ${result.problem}`, result.issuerMatched);
  }
  for (const warning of result.warnings) logWarn(app, warning);
  return { endpoints: result.endpoints, outcome: { issuerMatched: true } };
}

function fallback(app: CoreApp, config: Config, reason: string, issuerMatched: boolean | null): Discovered {
  logWarn(app, `discovery failed, using Authelia's fixed endpoint paths under ${config.issuer}; logins work once Authelia answers`, 'reason', reason);
  return { endpoints: fallbackEndpoints(config.issuer), outcome: { issuerMatched, problem: reason } };
}

function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
