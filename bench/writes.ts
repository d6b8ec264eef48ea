// Item 6: record saves per login when the groups did not change. PocketBase stamps `updated`
// on every save of a record, so a login that saved the user changes it; reading the record
// before and after each login counts the logins that saved. A positive control (groups changed
// in the IdP) shows that the method does see a save.
import { exchange, obtainCodes, type BenchUser } from './codes.js';
import type { Pair } from './servers.js';

export interface WritesResult {
  readonly logins: number;
  readonly ext: number;
  readonly base: number;
  /** Group records created by the unchanged logins (extension only). */
  readonly newGroupRecords: number;
  /** Saves seen when the groups did change (expected: 1), proving the method detects one. */
  readonly controlSaves: number;
}

async function updatedStamp(pair: Pair, side: 'ext' | 'base', email: string): Promise<string> {
  const superuser = await pair.servers[side].superuser();
  const record = await superuser.collection('users').getFirstListItem(superuser.filter('email = {:email}', { email }));
  return String(record['updated']);
}

async function countSavingLogins(pair: Pair, side: 'ext' | 'base', user: BenchUser, logins: number): Promise<number> {
  const serverUrl = pair.servers[side].url;
  const codes = await obtainCodes(pair.idp.issuer, Array.from({ length: logins }, () => ({ serverUrl, user })));
  let saving = 0;
  for (const code of codes) {
    const before = await updatedStamp(pair, side, user.email);
    const result = await exchange(serverUrl, code);
    if (result.status !== 200 || result.isNew) throw new Error(`login on ${side} answered ${result.status} (isNew=${result.isNew})`);
    if ((await updatedStamp(pair, side, user.email)) !== before) saving++;
  }
  return saving;
}

async function groupRecordCount(pair: Pair): Promise<number> {
  const superuser = await pair.servers.ext.superuser();
  return (await superuser.collection('authelia_groups').getList(1, 1)).totalItems;
}

export async function savesPerLogin(pair: Pair, user: BenchUser, logins = 20): Promise<WritesResult> {
  const groupsBefore = await groupRecordCount(pair);
  const ext = await countSavingLogins(pair, 'ext', user, logins);
  const base = await countSavingLogins(pair, 'base', user, logins);
  const newGroupRecords = (await groupRecordCount(pair)) - groupsBefore;

  const changed = { ...user, groups: [...user.groups, 'bench-control'] };
  pair.idp.setUser(changed);
  const controlSaves = await countSavingLogins(pair, 'ext', changed, 1);
  pair.idp.setUser(user);
  await countSavingLogins(pair, 'ext', user, 1); // back to the groups the other phases expect
  return { logins, ext, base, newGroupRecords, controlSaves };
}
