import { parseConfig, type Config } from '../core/config.js';
import { formatIssues, type ConfigIssue } from '../core/errors.js';
import { loginSettings, managedFields } from '../core/login-decision.js';
import { desiredProvider, guardedFieldsOf, isManaged, retiredFields } from '../core/providers.js';
import type { ActiveState } from '../core/state.js';
import { findAuthCollection, updateProviders } from './collection.js';
import { applySchema, checkSchema, clearRetiredFields } from './schema.js';
import { discoverEndpoints } from './discovery.js';
import { readProcessEnv, readTextFile } from './env.js';
import { logError, logInfo, logWarn } from './log.js';
import { saveState } from './state-store.js';
import { prepareRevalidation, stopRevalidation } from './revalidation-boot.js';

/**
 * Boot work belongs to `serve` only: other commands (`superuser upsert`,
 * `migrate`) must neither wait for discovery nor fail on a strict config.
 */
export function onBootstrap(e: core.BootstrapEvent): void {
  e.next();
  if ($os.args.includes('serve')) configure(e.app);
}

/**
 * Runs when `pocketbase serve` boots, before it listens: reads the
 * environment, then registers (or, failing closed, removes) the provider.
 * Throws only in strict mode, to stop the server.
 */
export function configure(app: CoreApp): void {
  const result = parseConfig(readProcessEnv(), readTextFile);
  stopRevalidation(app);
  if (result.status === 'disabled') {
    removeManagedProviders(app);
    saveState(app, { status: 'disabled' });
    logInfo(app, 'AUTHELIA_URL is not set: Authelia login is off');
    return;
  }
  if (result.status === 'invalid') {
    refuse(app, result.issues, result.strict);
    return;
  }
  for (const warning of result.warnings) logWarn(app, warning);

  let issues: ConfigIssue[];
  try {
    issues = apply(app, result.config);
  } catch (error) {
    // A save PocketBase refuses must not take the server down (outside strict mode).
    const reason = error instanceof Error ? error.message : String(error);
    issues = [{ variable: 'AUTHELIA_COLLECTION', message: `PocketBase refused to update "${result.config.collection}" (${reason}); check its fields in the dashboard` }];
  }
  if (issues.length > 0) refuse(app, issues, result.config.strict);
}

/** Registers the provider and fields; returns the problems that stopped it (nothing is changed then). */
function apply(app: CoreApp, config: Config): ConfigIssue[] {
  const lookup = findAuthCollection(app, config.collection);
  if ('issue' in lookup) return [lookup.issue];
  const collection = lookup.collection;

  const schemaIssues = checkSchema(app, collection, config);
  if (schemaIssues.length > 0) return schemaIssues;

  const login = loginSettings(config);
  const current = managedFields(login);
  const previous = guardedFieldsOf(collection.oauth2.providers.find((provider) => isManaged(provider)));
  const retired = retiredFields(previous, current, collection.fields.fieldNames());
  const guarded = [...current, ...retired];

  const { endpoints, outcome } = discoverEndpoints(app, config);
  const providers = updateProviders(collection, desiredProvider(config, endpoints, guarded), config.issuer);
  if ('issue' in providers) return [providers.issue];
  const fieldsChanged = applySchema(app, collection, config);
  if (providers.changed || fieldsChanged) app.save(collection);
  if (retired.length > 0) {
    clearRetiredFields(app, collection, retired);
    logWarn(app, `cleared ${retired.join(', ')}: no longer managed by this configuration; clients still cannot write them; delete them from "${collection.name}" if you do not need them`);
  }
  // Our provider now owns a slot; any copy of it left in another collection must go.
  removeManagedProviders(app, collection.id);

  const state: ActiveState = {
    status: 'active',
    issuer: config.issuer,
    clientId: config.clientId,
    displayName: config.displayName,
    collectionId: collection.id,
    collectionName: collection.name,
    provider: config.provider,
    scopes: config.scopes,
    pkce: config.pkce,
    login,
    managedFields: guarded,
    endpoints,
    discovery: outcome,
    revalidation: prepareRevalidation(app, config),
  };
  saveState(app, state);
  logInfo(app, `Authelia login is on for "${collection.name}" as provider "${config.provider}"`,
    'issuer', config.issuer, 'clientId', config.clientId, 'clientSecret', '(redacted)',
    'endpoints', endpoints.source, 'issuerMatched', outcome.issuerMatched, 'scopes', config.scopes.join(' '), 'groupsField', config.groupsField,
    'collectionChanged', providers.changed || fieldsChanged);
  return [];
}

/** Fail closed: a provider without the group sync behind it must not keep letting people in. */
function refuse(app: CoreApp, issues: readonly ConfigIssue[], strict: boolean): void {
  removeManagedProviders(app);
  saveState(app, { status: 'invalid', issues });
  const message = formatIssues(issues);
  if (strict) {
    throw new Error(`${message} (AUTHELIA_STRICT is on, so PocketBase does not start)`);
  }
  logError(app, `${message}; Authelia login is off until this is fixed`);
}

function removeManagedProviders(app: CoreApp, exceptCollectionId?: string): void {
  for (const collection of app.findAllCollections('auth')) {
    if (!collection || collection.id === exceptCollectionId) continue;
    const update = updateProviders(collection, null, null);
    if ('changed' in update && update.changed) {
      app.save(collection);
      logWarn(app, `removed the Authelia provider from "${collection.name}"`);
    }
  }
}
