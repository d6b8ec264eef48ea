// The people the demo IdP knows. Three shapes of group membership, so that a login shows the
// sync doing something different for each: several groups, one group, none at all.
// Fixed subjects, like Authelia's stored ones: with random ones, a restart would present a known
// email under a new identity and PocketBase would refuse the login for the data it kept.
import type { IdpUser } from '../testkit/idp.js';

export interface DemoUser extends IdpUser {
  groups: string[];
}

export const DEMO_USERS: readonly DemoUser[] = [
  { username: 'alice', password: 'alice-password', name: 'Alice Demo', email: 'alice@example.test', groups: ['admins', 'dev'], sub: '6f1c2a4e-1b7d-4c55-9a0e-3d2f8b7a1c01' },
  { username: 'bob', password: 'bob-password', name: 'Bob Demo', email: 'bob@example.test', groups: ['dev'], sub: '6f1c2a4e-1b7d-4c55-9a0e-3d2f8b7a1c02' },
  { username: 'carol', password: 'carol-password', name: 'Carol Demo', email: 'carol@example.test', groups: [], sub: '6f1c2a4e-1b7d-4c55-9a0e-3d2f8b7a1c03' },
];
