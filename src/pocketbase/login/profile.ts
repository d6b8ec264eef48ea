import { claimedProfile } from '../../core/login/profile-rules.js';
import { logWarn } from '../log.js';

/**
 * Brings an existing record's name, email and avatar URL in step with Authelia
 * (PocketBase does so only when it creates the record). Uses the collection's
 * OAuth2 field mapping, touches only fields the collection has, never
 * downloads an avatar file, and never takes an email another record uses.
 * Returns the fields it changed.
 */
export function syncProfile(app: CoreApp, record: core.Record, claims: Readonly<Record<string, unknown>>): string[] {
  const profile = claimedProfile(claims);
  const collection = record.collection();
  const mapped = collection.oauth2.mappedFields;
  const changed: string[] = [];

  const setText = (field: string, value: string | undefined, types: readonly string[]) => {
    if (!field || value === undefined) return;
    const type = collection.fields.getByName(field)?.type();
    if (type && types.includes(type) && record.getString(field) !== value) {
      record.set(field, value);
      changed.push(field);
    }
  };
  setText(mapped.name, profile.name, ['text']);
  setText(mapped.avatarURL, profile.avatarURL, ['text', 'url']);

  if (profile.email !== undefined && profile.email !== record.email()) {
    if (emailTakenByAnother(app, record, profile.email)) {
      logWarn(app, 'kept the old email: the new one from Authelia belongs to another record', 'record', record.id);
    } else {
      record.setEmail(profile.email);
      record.setVerified(true);
      changed.push('email', 'verified');
    }
  }
  return changed;
}

function emailTakenByAnother(app: CoreApp, record: core.Record, email: string): boolean {
  try {
    return app.findAuthRecordByEmail(record.collection().id, email).id !== record.id;
  } catch {
    return false; // not found
  }
}
