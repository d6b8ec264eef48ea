import type { RecordModel } from 'pocketbase';
import { startIdp, type Idp, type IdpOptions, type IdpUser } from '../../testkit/idp.js';
import { freePort, startPocketBase, type PocketBaseServer } from '../../testkit/pocketbase.js';
import { CLIENT_ID, CLIENT_SECRET } from '../../testkit/client.js';

export { CLIENT_ID, CLIENT_SECRET };
export { ssoLogin, type SsoLogin } from '../../testkit/sso-login.js';

export interface Stack {
  readonly idp: Idp;
  readonly pb: PocketBaseServer;
  close(): Promise<void>;
}

export interface StackOptions {
  readonly version: string;
  readonly users: IdpUser[];
  /** Extra AUTHELIA_* variables; AUTHELIA_URL and the secret default to the IdP's. */
  readonly env?: Readonly<Record<string, string>>;
  readonly idp?: IdpVariant;
  readonly extraHooks?: Readonly<Record<string, string>>;
}

export type IdpVariant = Partial<Pick<IdpOptions, 'autheliaVersion' | 'consent' | 'issuerPath' | 'port' | 'accessTokenTtl' | 'refreshTokenTtl'>> & {
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
  /** Authelia's revocation_endpoint_auth_method: Basic unless set. */
  revocationEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
  /** Register the client with the offline_access scope and the refresh_token grant type. */
  offlineAccess?: boolean;
};

/** The Authelia-like IdP with our client registered for a PocketBase on `pbPort`. */
export async function startIdpFor(pbPort: number, users: IdpUser[], variant: IdpVariant = {}): Promise<Idp> {
  const { tokenEndpointAuthMethod, revocationEndpointAuthMethod, offlineAccess, ...options } = variant;
  return startIdp({
    users,
    clients: [{
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUris: [`http://127.0.0.1:${pbPort}/api/oauth2-redirect`],
      ...(tokenEndpointAuthMethod ? { tokenEndpointAuthMethod } : {}),
      ...(revocationEndpointAuthMethod ? { revocationEndpointAuthMethod } : {}),
      ...(offlineAccess ? { offlineAccess } : {}),
    }],
    ...options,
  });
}

/** A real PocketBase with the built hooks, and the Authelia-like IdP it trusts. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const pbPort = await freePort();
  const idp = await startIdpFor(pbPort, options.users, options.idp);
  try {
    const pb = await startPocketBase({
      version: options.version,
      port: pbPort,
      env: { AUTHELIA_URL: idp.issuer, AUTHELIA_CLIENT_SECRET: CLIENT_SECRET, ...options.env },
      ...(options.extraHooks ? { extraHooks: options.extraHooks } : {}),
    });
    return { idp, pb, close: async () => { await pb.destroy(); await idp.close(); } };
  } catch (error) {
    await idp.close();
    throw error;
  }
}

/** The stored record, read as superuser (not what the login response claims). */
export async function storedUser(pb: PocketBaseServer, email: string, collection = 'users'): Promise<RecordModel> {
  const superuser = await pb.superuser();
  return superuser.collection(collection).getFirstListItem(superuser.filter('email = {:email}', { email }));
}

/** Every record of the groups collection, id → name, read as superuser. */
export async function groupNamesById(pb: PocketBaseServer, collection = 'authelia_groups'): Promise<Map<string, string>> {
  const superuser = await pb.superuser();
  const records = await superuser.collection(collection).getFullList({ batch: 1000, fields: 'id,name' });
  return new Map(records.map((r) => [r.id, r['name'] as string]));
}
