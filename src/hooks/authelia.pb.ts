/// <reference path="../pocketbase/globals.d.ts" />
// Registration only. PocketBase runs each handler's source text in a pooled
// runtime where nothing from this file exists, so every handler requires the
// module that does the work (compiled into pb_hooks/authelia/).

const targets = require(`${__hooks}/authelia/targets.js`).currentTargets($app);

onBootstrap((e) => {
  require(`${__hooks}/authelia/boot.js`).onBootstrap(e);
  // PocketBase compiles a required file once per process for every pooled runtime: compiled here,
  // at boot, the first login after a start does not wait for it (about 5 ms on 2 cores).
  require(`${__hooks}/authelia/login.js`);
});

// Tagged with the configured collection's spellings and the ids and names of the
// collections the last boot guarded (see src/core/guard/hook-tags.ts), so other
// collections never run this code. The handlers still find their collection by id.
onRecordAuthWithOAuth2Request((e) => {
  require(`${__hooks}/authelia/login.js`).onOAuth2Login(e);
}, ...targets.hookTags);

onRecordCreateRequest((e) => {
  require(`${__hooks}/authelia/guard.js`).onRecordWrite(e);
}, ...targets.hookTags);

onRecordUpdateRequest((e) => {
  require(`${__hooks}/authelia/guard.js`).onRecordWrite(e);
}, ...targets.hookTags);

onRecordAuthWithPasswordRequest((e) => {
  require(`${__hooks}/authelia/sign-in-gate.js`).onPasswordAuth(e);
}, ...targets.hookTags);

onRecordAuthWithOTPRequest((e) => {
  require(`${__hooks}/authelia/sign-in-gate.js`).onOtpAuth(e);
}, ...targets.hookTags);

routerAdd('GET', '/api/authelia/status', (e) => {
  require(`${__hooks}/authelia/status.js`).status(e);
}, $apis.requireSuperuserAuth());

// Revalidation after the login: auth-refresh asks Authelia when due, a cron sweeps the rest.
onRecordAuthRefreshRequest((e) => {
  require(`${__hooks}/authelia/revalidation-refresh.js`).onAuthRefresh(e);
}, ...targets.hookTags);

// Every other token PocketBase hands out (a superuser's impersonation token, an app route's auth
// response) keeps the record under the sweep's checks until it expires. The sign-ins note their own.
onRecordAuthRequest((e) => {
  const method = e.authMethod;
  if (method === 'password' || method === 'otp' || method === 'oauth2') {
    e.next();
    return;
  }
  require(`${__hooks}/authelia/issued-tokens.js`).onAuthResponse(e);
}, ...targets.hookTags);

routerAdd('GET', '/api/authelia/status/records', (e) => {
  require(`${__hooks}/authelia/revalidation-status.js`).recordsStatus(e);
}, $apis.requireSuperuserAuth());

// The signed-in record's own last check and next due check (times only), for frontends.
routerAdd('GET', '/api/authelia/status/me', (e) => {
  require(`${__hooks}/authelia/revalidation-status.js`).ownCheckStatus(e);
}, $apis.requireAuth());

const sweepSchedule = require(`${__hooks}/authelia/sweep-schedule.js`).sweepScheduleFromEnv();
if (sweepSchedule) {
  cronAdd('authelia-sweep', sweepSchedule, () => {
    require(`${__hooks}/authelia/sweep.js`).onSweep();
  });
}

// Sign-out that reaches Authelia: the record's own, and a superuser's for any record.
routerAdd('POST', '/api/authelia/sign-out', (e) => {
  require(`${__hooks}/authelia/sign-out.js`).onSignOut(e);
}, $apis.requireAuth());

routerAdd('POST', '/api/authelia/records/{collection}/{id}/sign-out', (e) => {
  require(`${__hooks}/authelia/sign-out.js`).onSuperuserSignOut(e);
}, $apis.requireSuperuserAuth());

// Grants whose revocation could not (or should not) wait: a login replacing the
// previous tokens, access taken away, Authelia down at a sign-out. Idle minutes read one store key.
cronAdd('authelia-revocations', '* * * * *', () => {
  require(`${__hooks}/authelia/revocation.js`).onRevocationCron();
});

for (const path of targets.authMethodsPaths) {
  routerAdd('GET', path, (e) => require(`${__hooks}/authelia/auth-methods.js`).authMethods(e));
}

// A group record changed or deleted (after commit): the next logins take the full path.
onRecordAfterUpdateSuccess((e) => {
  require(`${__hooks}/authelia/group-writes.js`).onGuardedRecordWrite(e);
}, ...targets.hookTags);

onRecordAfterDeleteSuccess((e) => {
  require(`${__hooks}/authelia/group-writes.js`).onGuardedRecordWrite(e);
}, ...targets.hookTags);

// Authelia links: only a superuser removes one, and removing one takes access away (guard/unlink.ts).
onRecordDeleteRequest((e) => {
  require(`${__hooks}/authelia/unlink.js`).onLinkDeleteRequest(e);
}, '_externalAuths');

onRecordAfterDeleteSuccess((e) => {
  require(`${__hooks}/authelia/unlink.js`).onLinkDeleted(e);
}, '_externalAuths');

// Every new link: a record taken for a local account comes under the checks; for an Authelia user
// back with a new subject (Authelia lost its storage) the login approved moving the record's link,
// and the old one goes in the transaction that writes the new one (login/relink.ts).
onRecordCreate((e) => {
  require(`${__hooks}/authelia/relink.js`).onLinkCreate(e);
}, '_externalAuths');

onCollectionUpdate((e) => {
  require(`${__hooks}/authelia/rename-guard.js`).onCollectionUpdate(e);
});

// PocketBase < 0.36.8 blanks cached OAuth2 secrets when it serializes a collection
// (any dashboard view), which breaks every login until a restart: see boot/secret-cache.ts.
onCollectionViewRequest((e) => require(`${__hooks}/authelia/secret-cache.js`).reloadCollectionsAfter(e));
onCollectionsListRequest((e) => require(`${__hooks}/authelia/secret-cache.js`).reloadCollectionsAfter(e));
onCollectionCreateRequest((e) => require(`${__hooks}/authelia/secret-cache.js`).reloadCollectionsAfter(e));
onCollectionUpdateRequest((e) => require(`${__hooks}/authelia/secret-cache.js`).reloadCollectionsAfter(e));
onCollectionsImportRequest((e) => require(`${__hooks}/authelia/secret-cache.js`).reloadCollectionsAfter(e));
