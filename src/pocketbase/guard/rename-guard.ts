import { renameAllowed } from '../../core/guard/hook-tags.js';
import { HOOK_TAGS_STORE_KEY } from '../../core/stores/state.js';
import { loadGuards } from '../stores/registry-store.js';
import { storeReader } from '../stores/app-store.js';

const loadHookTags = storeReader<string[]>(HOOK_TAGS_STORE_KEY);

/**
 * Every save of a collection (dashboard, API, import, migration). Renaming a
 * collection whose fields are guarded is refused while this process's hooks
 * know it only by name: under the new name they would no longer run for it.
 * After one restart the hooks carry its id and renames go through.
 */
export function onCollectionUpdate(e: core.CollectionEvent): void {
  const collection = e.collection;
  const guards = loadGuards(e.app);
  if (!collection || !guards?.collections[collection.id]) {
    e.next();
    return;
  }
  let before: string | undefined;
  try {
    before = e.app.findCachedCollectionByNameOrId(collection.id).name;
  } catch {
    before = undefined;
  }
  const tags = loadHookTags(e.app) ?? [];
  if (before !== undefined && before !== collection.name && !renameAllowed(tags, collection.id)) {
    throw new BadRequestError(
      `"${before}" holds fields managed by Authelia login and cannot be renamed until PocketBase has restarted once with the hooks installed (they know it by name until then). Restart PocketBase, then rename it.`,
    );
  }
  e.next();
}
