import { autheliaSignOutURL } from '../../core/sign-out/sign-out-rules.js';
import { parseConfig, type Config } from '../../core/boot/config.js';
import { formatIssues, type ConfigIssue } from '../../core/boot/errors.js';
import { pruneDeleted, registerActive, retiredFields, sameRegistry, type GuardRegistry } from '../../core/guard/guard-registry.js';
import { guardLastKnownNames, publishGuards as guardsFrom, type UnconfirmedCollection } from '../../core/guard/guards.js';
import { loginSettings, managedFields } from '../../core/login/login-decision.js';
import { desiredProvider } from '../../core/boot/providers.js';
import { HOOK_TAGS_STORE_KEY, type ActiveState } from '../../core/stores/state.js';
import { coveredBy, tagsToRemember } from '../../core/guard/hook-tags.js';
import { registrationTargets, type RegistrationTargets } from '../../core/guard/targets-rules.js';
import { findAuthCollection, updateProviders, type CollectionLookup } from './collection.js';
import { discoverEndpoints } from './discovery.js';
import { readProcessEnv, readTextFile } from './env.js';
import { collectionLookup, loadRegistry, retire } from '../guard/guard-upkeep.js';
import { logError, logInfo, logWarn } from '../log.js';
import { publishGuards, writeRegistry } from '../stores/registry-store.js';
import { applySchema, checkSchema } from './schema.js';
import { keepRuleClauses } from '../guard/rule-clauses.js';
import { saveState } from '../stores/app-store.js';
import { registeredTags, rememberTags } from './targets.js';
import type { RevalidationSettings } from '../../core/checks/revalidation.js';
import { forgetRevalidationSecrets, saveRevalidationSecrets } from '../stores/token-secrets.js';
import { settleStoredTokens } from './token-key-upgrade.js';
import { ensureVault } from '../stores/token-vault.js';

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
 * Whatever the configuration, the fields managed before stay guarded.
 * Throws only in strict mode, to stop the server.
 */
export function configure(app: CoreApp): void {
  const env = readProcessEnv();
  const raw = registrationTargets(env, readTextFile);
  // Read before this boot rewrites the file: the tags this process's hooks carry.
  const boot: Boot = { app, raw, configured: findAuthCollection(app, raw.collection), tags: registeredTags(app, raw), registry: loadRegistry(app) };
  app.store().set(HOOK_TAGS_STORE_KEY, JSON.stringify(boot.tags));
  const result = parseConfig(env, readTextFile);
  stopRevalidation(app);

  if (result.status === 'disabled') {
    publishGuards(app, guardLastKnownNames(guardsFrom(boot.registry, raw.authOnly), boot.registry));
    removeManagedProviders(app);
    saveState(app, { status: 'disabled', maxSessionSeconds: raw.maxSessionSeconds });
    finish(boot, boot.registry);
    logInfo(app, 'AUTHELIA_URL is not set: Authelia login is off');
    return;
  }
  if (result.status === 'invalid') {
    refuse(boot, result.issues, result.strict);
    return;
  }
  for (const warning of result.warnings) logWarn(app, warning);

  let outcome: ConfigIssue[] | GuardRegistry;
  try {
    outcome = apply(boot, result.config);
  } catch (error) {
    // A save PocketBase refuses must not take the server down (outside strict mode).
    const reason = error instanceof Error ? error.message : String(error);
    outcome = [{ variable: 'AUTHELIA_COLLECTION', message: `PocketBase refused to update "${result.config.collection}" (${reason}); check its fields in the dashboard` }];
  }
  if (Array.isArray(outcome)) {
    refuse(boot, outcome, result.config.strict);
    return;
  }
  // Also by name: a managed field deleted and added again (another type) has a new id.
  publishGuards(app, guardsFrom(outcome, result.config.autheliaOnly, byName(boot, managedFields(loginSettings(result.config)), result.config.provider)));
  finish(boot, outcome);
}

/** What every step of one boot needs. */
interface Boot {
  readonly app: CoreApp;
  readonly raw: RegistrationTargets;
  /** AUTHELIA_COLLECTION looked up once (the valid configuration names the same value). */
  readonly configured: CollectionLookup;
  /** The record hooks' tags. */
  readonly tags: readonly string[];
  readonly registry: GuardRegistry;
}

/**
 * Keeps the guard clauses in the API rules (they outlive the hooks), remembers
 * which collections the next start must tag its hooks with, and says
 * so when this process's hooks miss a guarded collection (its tag file was
 * older than the registry, e.g. restored from another backup).
 */
function finish(boot: Boot, registry: GuardRegistry): void {
  keepRuleClauses(boot.app, registry);
  rememberTags(boot.app, tagsToRemember(registry, 'collection' in boot.configured ? boot.configured.collection : undefined));
  const missed = Object.entries(registry.collections).filter(([id, entry]) => !coveredBy(boot.tags, { id, name: entry.name }));
  if (missed.length > 0) {
    logError(boot.app, `the fields managed on ${missed.map(([, entry]) => `"${entry.name}"`).join(', ')} are not guarded until PocketBase restarts (its hooks loaded before they were known); restart PocketBase`);
  }
}

/** Registers the provider and fields; returns the updated registry, or the problems that stopped it. */
function apply(boot: Boot, config: Config): ConfigIssue[] | GuardRegistry {
  const { app, registry } = boot;
  if ('issue' in boot.configured) return [boot.configured.issue];
  const collection = boot.configured.collection;
  if (!coveredBy(boot.tags, collection)) {
    return [{
      variable: 'AUTHELIA_COLLECTION',
      message: `"${config.collection}" is the collection "${collection.name}", which this process's hooks were not registered for (PocketBase compares hook tags exactly); restart PocketBase to apply it, or set AUTHELIA_COLLECTION=${collection.name}`,
    }];
  }

  const schemaIssues = checkSchema(app, collection, config);
  if (schemaIssues.length > 0) return schemaIssues;
  warnAboutUnansweredAddress(app, boot.raw, config, collection);

  const { endpoints, outcome } = discoverEndpoints(app, config);
  const providers = updateProviders(collection, desiredProvider(config, endpoints), config.issuer);
  if ('issue' in providers) return [providers.issue];
  const { changed: fieldsChanged, groups: groupsCollection } = applySchema(app, collection, config);
  const login = loginSettings(config);

  // Field ids exist from the moment applySchema adds a field.
  const active = {
    collectionId: collection.id,
    collectionName: collection.name,
    fields: managedFields(login).map((name) => ({ id: collection.fields.getByName(name)!.getId(), name })),
    provider: config.provider,
  };
  // Group records are what `memberOf.name` rules test: their names are guarded
  // too, in case someone opens that collection's API rules.
  const groupNames = {
    collectionId: groupsCollection.id,
    collectionName: groupsCollection.name,
    fields: [{ id: groupsCollection.fields.getByName('name')!.getId(), name: 'name' }],
  };
  const registered = registerActive(registerActive(registry, active), groupNames);
  // Registered before the collection is saved: a crash in between leaves a
  // guarded field that does not exist yet, never an unguarded one.
  if (!sameRegistry(registered, registry)) writeRegistry(app, registered);
  if (providers.changed || fieldsChanged) app.save(collection);
  retire(app, retiredFields(registered, [active, groupNames]));
  const next = pruneDeleted(registered, collectionLookup(app));
  if (!sameRegistry(next, registered)) writeRegistry(app, next);
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
    endpoints,
    discovery: outcome,
    revalidation: prepareRevalidation(app, config),
    signOutURL: autheliaSignOutURL(config.issuer, config.signOutRedirect),
    strict: config.strict,
  };
  saveState(app, state);
  logInfo(app, `Authelia login is on for "${collection.name}" as provider "${config.provider}"`,
    'issuer', config.issuer, 'clientId', config.clientId, 'clientSecret', '(redacted)',
    'endpoints', endpoints.source, 'issuerMatched', outcome.issuerMatched, 'scopes', config.scopes.join(' '), 'groupsField', config.groupsField,
    'autheliaOnly', config.autheliaOnly, 'relink', config.relink, 'collectionChanged', providers.changed || fieldsChanged);
  return next;
}

/**
 * Fail closed: a provider without the group sync behind it must not keep
 * letting people in, and the fields this configuration would manage are
 * guarded too, even before any valid boot registered them.
 */
function refuse(boot: Boot, issues: readonly ConfigIssue[], strict: boolean): void {
  const { app, raw } = boot;
  publishGuards(app, guardLastKnownNames(guardsFrom(boot.registry, raw.authOnly, byName(boot, raw.managedFields, raw.provider)), boot.registry));
  removeManagedProviders(app);
  saveState(app, { status: 'invalid', issues, maxSessionSeconds: raw.maxSessionSeconds });
  finish(boot, boot.registry);
  const message = formatIssues(issues);
  if (strict) {
    throw new Error(`${message} (AUTHELIA_STRICT is on, so PocketBase does not start)`);
  }
  logError(app, `${message}; Authelia login is off until this is fixed`);
}

/** The configured collection's fields, guarded by name as well as by id. */
function byName(boot: Boot, fieldNames: readonly string[], provider: string): UnconfirmedCollection | undefined {
  return 'collection' in boot.configured ? { collectionId: boot.configured.collection.id, fieldNames, provider } : undefined;
}

/**
 * The auth-methods route that asks for the groups scope is registered for the
 * spelling in AUTHELIA_COLLECTION (and its lowercase form) before the database
 * opens; a client using the collection's real name otherwise gets PocketBase's
 * answer without `groups`.
 */
function warnAboutUnansweredAddress(app: CoreApp, raw: RegistrationTargets, config: Config, collection: core.Collection): void {
  const path = `/api/collections/${collection.name}/auth-methods`;
  if (!raw.authMethodsPaths.includes(path)) {
    logWarn(app, `AUTHELIA_COLLECTION is "${config.collection}", so ${path} is answered by PocketBase without the groups scope; set AUTHELIA_COLLECTION=${collection.name}`);
  }
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

/** The checks' part of a boot: the token table exists and checks can authenticate and decrypt. */
function prepareRevalidation(app: CoreApp, config: Config): RevalidationSettings {
  ensureVault(app);
  settleStoredTokens(app, config, saveRevalidationSecrets(app, config));
  const { revalidateAfterSeconds, maxSessionSeconds, sweep } = config.revalidation;
  return { revalidateAfterSeconds, maxSessionSeconds, sweep };
}

/** A disabled or invalid boot: no check may run with what an earlier boot left in memory. */
function stopRevalidation(app: CoreApp): void {
  forgetRevalidationSecrets(app);
}
