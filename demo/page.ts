// The demo's one page, served from its own origin like a real frontend: the SDK then talks to
// PocketBase across origins and completes the popup through PocketBase's realtime-based
// /api/oauth2-redirect. After the login it shows what the extension wrote on the record (groups,
// the memberOf relation expanded into names, roles) and what an API rule built on it lets this
// user read.
import { adminsOnlyRule, NOTES_COLLECTION, type FieldNames } from './demo-data.js';
import { AUTH_WITH_OAUTH2_WINDOW } from './sign-in-window.js';

/** JSON is valid JavaScript; escaping "<" keeps a hostile value from closing the <script>. */
function scriptValue(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function demoPage(pocketbaseUrl: string, names: FieldNames): string {
  const rule = adminsOnlyRule(names);
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>PocketBase + Authelia demo</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 44rem; margin: 2rem auto; padding: 0 1rem; color: #111827; }
  code { background: #f3f4f6; padding: 0.1rem 0.3rem; border-radius: 0.2rem; }
  table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
  th, td { text-align: left; padding: 0.35rem 0.75rem 0.35rem 0; vertical-align: top; }
  td.why { color: #6b7280; font-size: 0.9em; }
  #notes li { margin: 0.25rem 0; }
  #refresh-result { background: #f3f4f6; padding: 0.5rem 0.75rem; border-radius: 0.3rem; }
  .empty { color: #6b7280; }
</style>
</head>
<body>
<h1>PocketBase + Authelia</h1>
<p><button id="login">Login with Authelia</button> <button id="refresh">Refresh</button> <button id="logout">Sign out</button></p>
<p id="refresh-result" role="status" hidden></p>
<section id="session" data-state="signed-out">
  <p id="who">Not signed in.</p>
  <div id="details" hidden>
    <h2>What the extension wrote on the record</h2>
    <table>
      <tr><th>${escapeHtml(names.groupsField)}</th><td id="groups"></td><td class="why">JSON list of names, for frontends</td></tr>
      <tr><th>${escapeHtml(names.membershipField)}</th><td id="memberOf"></td><td class="why">relation to ${escapeHtml(names.groupsCollection)}, expanded: what API rules test</td></tr>
      <tr><th>${escapeHtml(names.rolesField)}</th><td id="roles"></td><td class="why">granted by AUTHELIA_ROLES</td></tr>
    </table>
    <h2>${escapeHtml(NOTES_COLLECTION)}</h2>
    <p>List rule: <code>${escapeHtml(rule)}</code></p>
    <ul id="notes"></ul>
  </div>
</section>
<script src="/pocketbase.umd.js"></script>
<script>
  const pb = new PocketBase(${scriptValue(pocketbaseUrl)});
  const names = ${scriptValue(names)};
  const notesCollection = ${scriptValue(NOTES_COLLECTION)};
  const $ = (id) => document.getElementById(id);
  const list = (values) => (values && values.length ? values.join(', ') : '(none)');

  function showState(state, text) {
    $('session').dataset.state = state;
    $('who').textContent = text;
    $('details').hidden = state !== 'signed-in';
  }

  // Everything shown is read through the API as the signed-in user, so the rules decide.
  async function render() {
    const auth = pb.authStore.record;
    if (!auth) return showState('signed-out', 'Not signed in.');
    const record = await pb.collection(names.authCollection).getOne(auth.id, { expand: names.membershipField });
    const groups = (record.expand && record.expand[names.membershipField]) || [];
    const notes = await pb.collection(notesCollection).getFullList({ sort: 'title' });
    $('groups').textContent = JSON.stringify(record[names.groupsField] || []);
    $('memberOf').textContent = list(groups.map((group) => group.name));
    $('roles').textContent = list(record[names.rolesField]);
    $('notes').replaceChildren(...(notes.length ? notes.map((note) => {
      const item = document.createElement('li');
      item.textContent = note.title + ': ' + note.body;
      return item;
    }) : [Object.assign(document.createElement('li'), { className: 'empty', textContent: 'No notes: the rule lets this user read none.' })]));
    showState('signed-in', 'Signed in as ' + (record.name || record.email) + ' (' + record.email + ')');
  }

  function fail(err) {
    showState('failed', 'Failed: ' + (err && err.message ? err.message : String(err)));
  }

${AUTH_WITH_OAUTH2_WINDOW.replace(/^(?=.)/gm, '  ')}
  // The button stays off while a sign-in window is open, and comes back however it ends:
  // signed in, "Sign-in window closed", "Sign-in failed: access_denied" (the IdP's error) or a refusal.
  $('login').addEventListener('click', async () => {
    $('login').disabled = true;
    showState('pending', 'Signing in...');
    try {
      await authWithOAuth2Window(pb, names.authCollection, { provider: names.provider });
      await render();
    } catch (err) {
      if (err && err.isAbort) showState('cancelled', err.message);
      else if (err && err.idpError) showState('failed', err.message);
      else fail(err);
    } finally {
      $('login').disabled = false;
    }
  });
  // auth-refresh: after AUTHELIA_REVALIDATE_AFTER, PocketBase asks the IdP before answering, so a
  // change on the demo users page shows up here (or the refresh is refused). The page says which
  // happened by reading the record's own check times (GET /api/authelia/status/me) before and after.
  const ownCheck = () => pb.send('/api/authelia/status/me', {});
  const clock = (iso) => new Date(iso).toLocaleTimeString('en-GB', { hour12: false });
  const groupsText = (groups) => (groups && groups.length ? groups.join(', ') : '(none)');
  function said(outcome, text) {
    $('refresh-result').hidden = false;
    $('refresh-result').dataset.outcome = outcome;
    $('refresh-result').textContent = text;
  }
  $('refresh').addEventListener('click', async () => {
    const auth = pb.authStore.record;
    if (!auth) return said('signed-out', 'Not signed in: nothing to refresh.');
    said('pending', 'Refreshing...');
    let before;
    let groupsBefore;
    try {
      before = await ownCheck();
      groupsBefore = (await pb.collection(names.authCollection).getOne(auth.id))[names.groupsField] || [];
    } catch (err) {
      before = null;
      groupsBefore = null;
    }
    try {
      await pb.collection(names.authCollection).authRefresh();
    } catch (err) {
      pb.authStore.clear();
      const message = err && err.message ? err.message : String(err);
      showState('failed', 'Refresh refused: ' + message);
      return said('refused', 'Refused: ' + message);
    }
    try {
      const after = await ownCheck();
      const groupsAfter = pb.authStore.record[names.groupsField] || [];
      await render();
      if (before && after.lastSuccessfulCheck && after.lastSuccessfulCheck !== before.lastSuccessfulCheck) {
        const changed = JSON.stringify(groupsBefore) !== JSON.stringify(groupsAfter);
        said(changed ? 'checked-changed' : 'checked-unchanged', 'Checked with Authelia just now: groups ' +
          (changed ? 'changed, ' + groupsText(groupsBefore) + ' → ' + groupsText(groupsAfter) : 'unchanged (' + groupsText(groupsAfter) + ')') + '.');
      } else if (after.nextCheckAtRefresh) {
        said('not-due', 'Not checked with Authelia: not due until ' + clock(after.nextCheckAtRefresh) +
          ' (AUTHELIA_REVALIDATE_AFTER=' + after.revalidateAfter + ' after the last check, at ' + clock(after.lastSuccessfulCheck) + ')' +
          (after.sweep !== 'off' ? '; the sweep (' + after.sweep + ') may check sooner.' : '.'));
      } else {
        said('not-checked', 'Not checked with Authelia: auth-refresh does not ask it here (AUTHELIA_REVALIDATE_AFTER=' + after.revalidateAfter + ').');
      }
    } catch (err) {
      fail(err);
    }
  });
  // Sign out where Authelia hears it: PocketBase ends every session of the record and revokes the
  // Authelia grant, then the browser goes to Authelia's own sign-out page (which comes back here).
  $('logout').addEventListener('click', async () => {
    let next = null;
    try {
      if (pb.authStore.isValid) next = (await pb.send('/api/authelia/sign-out', { method: 'POST' })).autheliaSignOutURL;
    } catch (err) {
      // Already signed out on the server (the token is dead): forgetting it here is all that is left.
    }
    pb.authStore.clear();
    if (next) window.location.assign(next);
    else render().catch(fail);
  });
  render().catch(fail);
</script>
</body>
</html>
`;
}
