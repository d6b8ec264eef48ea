// docs/operations.md "Uninstalling completely", followed step by step on a PocketBase that used the
// extension: afterwards no provider, field, collection, link, table or file of it is left, and the
// records themselves are still there.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startPocketBase } from '../../../testkit/pocketbase.js';
import { pocketbaseBinary, VERSIONS } from '../../../testkit/pocketbase-versions.js';
import { guideBlock } from '../../support/docs.js';
import { ssoLogin, startStack, storedUser } from '../../support/stack.js';

const run = promisify(execFile);
const ada = { username: 'ada', password: 'ada-password', name: 'Ada', email: 'ada@example.test', groups: ['admins'] };

/** Table names in PocketBase's SQLite database, read with Python's sqlite3 (no PocketBase API lists plain tables). */
async function tables(pbData: string): Promise<string[]> {
  const script = 'import sqlite3, sys, json; c = sqlite3.connect(sys.argv[1]); print(json.dumps([r[0] for r in c.execute("select name from sqlite_master where type = \'table\'")]))';
  const { stdout } = await run('python3', ['-c', script, join(pbData, 'data.db')]);
  return JSON.parse(stdout) as string[];
}

describe.each(VERSIONS)('uninstalling as docs/operations.md says, on PocketBase %s', (version) => {
  it('leaves no provider, field, collection, link, table or file of the extension, and keeps the records', { timeout: 90_000 }, async () => {
    const stack = await startStack({ version, users: [ada], env: { AUTHELIA_ROLES: 'admin=admins' } });
    const { dataDir } = stack.pb;
    const pbData = join(dataDir, 'pb_data');
    try {
      const { auth } = await ssoLogin(stack.pb.url, ada);
      expect(auth.record['roles']).toEqual(['admin']);
      let superuser = await stack.pb.superuser();
      await superuser.collections.create({ name: 'notes', type: 'base', fields: [{ name: 'text', type: 'text' }], listRule: '@request.auth.memberOf.name ?= "admins"' });
      // What is there before, so that the checks below can fail.
      expect(await tables(pbData)).toEqual(expect.arrayContaining(['_authelia', '_authelia_tokens']));
      expect(existsSync(join(pbData, 'authelia_hook_tags.json'))).toBe(true);

      // 1. Rewrite your own API rules that mention the fields.
      await superuser.collections.update('notes', { listRule: '@request.auth.id != ""' });
      // 2. Stop PocketBase and delete the hooks.
      await stack.pb.stop();
      await rm(join(dataDir, 'pb_hooks', 'authelia.pb.js'));
      await rm(join(dataDir, 'pb_hooks', 'authelia'), { recursive: true });
      // 3. Save the migration next to pb_data and apply it.
      await mkdir(join(dataDir, 'pb_migrations'), { recursive: true }); // PocketBase may have made it (automigrate)
      await writeFile(join(dataDir, 'pb_migrations', '1900000000_remove_authelia.js'), guideBlock('uninstall-migration'));
      await run(pocketbaseBinary(version), ['migrate', 'up', '--dir', pbData], { env: { PATH: process.env['PATH'] ?? '', HOME: dataDir } });
      // 4. Delete the hook tags file and start PocketBase.
      await rm(join(pbData, 'authelia_hook_tags.json'));
      const after = await startPocketBase({ version, dataDir, hooksDir: join(dataDir, 'pb_hooks') });
      try {
        superuser = await after.superuser();
        const users = await superuser.collections.getOne('users');
        expect(users.oauth2.providers.map((provider: { name: string }) => provider.name)).not.toContain('oidc');
        expect(users.fields.map((field: { name: string }) => field.name)).not.toEqual(expect.arrayContaining(['groups']));
        for (const field of ['groups', 'memberOf', 'roles']) expect(users.fields.map((f: { name: string }) => f.name)).not.toContain(field);
        expect((await superuser.collections.getFullList()).map((collection) => collection.name)).not.toContain('authelia_groups');
        expect(await superuser.collection('_externalAuths').getFullList({ filter: 'provider = "oidc"' })).toEqual([]);
        expect(await tables(pbData)).not.toEqual(expect.arrayContaining(['_authelia']));
        for (const table of ['_authelia', '_authelia_tokens']) expect(await tables(pbData)).not.toContain(table);
        expect(existsSync(join(pbData, 'authelia_hook_tags.json'))).toBe(false);
        await expect(superuser.send('/api/authelia/status', {})).rejects.toMatchObject({ status: 404 });
        // The record itself stays, with its email and name.
        expect(await storedUser(after, ada.email)).toMatchObject({ id: auth.record.id, name: ada.name });
      } finally {
        await after.stop();
      }
    } finally {
      await stack.close();
    }
  });
});
