// Writes the JSVM type declarations of the pinned PocketBase binary to
// .tmp/pocketbase-types/types.d.ts: PocketBase generates them itself whenever
// it opens a data dir, so they always match the binary we test against.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pocketbaseBinary, NEWEST } from '../testkit/pocketbase-versions.js';

const dataDir = mkdtempSync(join(tmpdir(), 'pb-types-'));
try {
  execFileSync(pocketbaseBinary(NEWEST), ['migrate', 'history-sync', '--dir', dataDir], { stdio: 'ignore' });
  mkdirSync('.tmp/pocketbase-types', { recursive: true });
  copyFileSync(join(dataDir, 'types.d.ts'), '.tmp/pocketbase-types/types.d.ts');
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
