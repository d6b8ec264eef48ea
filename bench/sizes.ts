// Item 3 (second half): the code a login loads into a fresh JSVM runtime. Handlers are
// serialized, so a pooled runtime never runs authelia.pb.js: an existing user's login
// requires login.js; a new user's also guard.js (onRecordCreateRequest of the OAuth2 sign-up).
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { BUILT_HOOKS } from '../testkit/pocketbase.js';

export interface CodeSize {
  readonly file: string;
  readonly bytes: number;
  readonly gzip: number;
}

export const LOGIN_PATH = { existing: ['authelia/login.js'], new: ['authelia/login.js', 'authelia/guard.js'] } as const;
const LISTED = ['authelia/login.js', 'authelia/guard.js', 'authelia.pb.js', 'authelia/targets.js', 'authelia/auth-methods.js', 'authelia/boot.js'];

export async function codeSizes(): Promise<CodeSize[]> {
  return Promise.all(LISTED.map(async (file) => {
    const content = await readFile(`${BUILT_HOOKS}/${file}`);
    return { file, bytes: content.length, gzip: gzipSync(content).length };
  }));
}

export function pathBytes(sizes: readonly CodeSize[], files: readonly string[]): number {
  return sizes.filter((s) => files.includes(s.file)).reduce((sum, s) => sum + s.bytes, 0);
}
