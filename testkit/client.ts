// The OpenID client that tests and bench register at the Authelia-like IdP for PocketBase.
// Fixed, not random: it is no secret, and a failing run can be replayed with the same values.
export const CLIENT_ID = 'pocketbase';
export const CLIENT_SECRET = 'a-long-random-client-secret-for-tests';
