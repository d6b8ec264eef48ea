// A real PocketBase (npm's or upstream's Go build) with the built hooks, trusting a real Authelia
// (npm run build:real) over HTTPS from the test's own private CA: the net under the stand-in.
import { CLIENT_SECRET } from '../../testkit/client.js';
import { startAuthelia, type AutheliaOptions, type RealAuthelia } from '../../testkit/authelia/launcher.js';
import { loginAtAuthelia, type PortalLoginOptions } from '../../testkit/authelia/portal-login.js';
import type { RealUser } from '../../testkit/authelia/config.js';
import { createPrivateCa, type PrivateCa } from '../../testkit/private-ca.js';
import { freePort, startPocketBase, type PocketBaseServer } from '../../testkit/pocketbase.js';
import { ssoLogin, type SsoLogin } from '../../testkit/sso-login.js';
import { AUTHELIA_NEWEST, BUILT_POCKETBASE_VERSIONS } from '../../testkit/real/builds.js';

export const WITH_OFFLINE_ACCESS = 'openid email profile groups offline_access';

export interface RealStackOptions extends Pick<AutheliaOptions, 'users' | 'ldap' | 'totpUsers' | 'lifespans' | 'rawClient'> {
  readonly autheliaVersion: string;
  readonly pocketbaseVersion: string;
  readonly offlineAccess?: boolean;
  /** More AUTHELIA_* variables for PocketBase. */
  readonly env?: Readonly<Record<string, string>>;
  /** The client secret, when the test made its own (authelia-config's). */
  readonly clientSecret?: string;
  /** Ports chosen beforehand (authelia-config needs both URLs). */
  readonly ports?: { readonly authelia: number; readonly pocketbase: number };
}

export interface RealStack {
  readonly ca: PrivateCa;
  readonly authelia: RealAuthelia;
  readonly pb: PocketBaseServer;
  /** What a frontend with the official SDK does: auth-methods, Authelia's portal (two factors), the code exchange. */
  login(user: Pick<RealUser, 'username' | 'password'>, options?: PortalLoginOptions): Promise<SsoLogin>;
  close(): Promise<void>;
}

export async function startRealStack(options: RealStackOptions): Promise<RealStack> {
  const ca = await createPrivateCa();
  const cleanups: (() => Promise<void>)[] = [() => ca.close()];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const pbPort = options.ports?.pocketbase ?? (await freePort());
    const clientSecret = options.clientSecret ?? CLIENT_SECRET;
    const authelia = await startAuthelia({
      version: options.autheliaVersion,
      ca,
      clientSecret,
      ...(options.ports ? { port: options.ports.authelia } : {}),
      ...(options.rawClient ? { rawClient: options.rawClient } : {}),
      client: { redirectUris: [`http://127.0.0.1:${pbPort}/api/oauth2-redirect`], offlineAccess: options.offlineAccess ?? false },
      ...(options.users ? { users: options.users } : {}),
      ...(options.ldap ? { ldap: options.ldap } : {}),
      ...(options.totpUsers ? { totpUsers: options.totpUsers } : {}),
      ...(options.lifespans ? { lifespans: options.lifespans } : {}),
    });
    cleanups.push(() => authelia.close());
    const pb = await startPocketBase({
      version: options.pocketbaseVersion,
      port: pbPort,
      env: {
        AUTHELIA_URL: authelia.url,
        ...(options.clientSecret ? {} : { AUTHELIA_CLIENT_SECRET: CLIENT_SECRET }),
        // PocketBase trusts Authelia's certificate as the operator's guide says: through SSL_CERT_FILE.
        SSL_CERT_FILE: ca.caFile,
        ...(options.offlineAccess ? { AUTHELIA_SCOPES: WITH_OFFLINE_ACCESS } : {}),
        ...options.env,
      },
    });
    cleanups.push(() => pb.destroy());
    return {
      ca,
      authelia,
      pb,
      login: (user, loginOptions) =>
        ssoLogin(pb.url, { username: user.username, password: user.password }, {
          signIn: (authUrl, redirectUrl) => loginAtAuthelia(authelia, authUrl, redirectUrl, user, loginOptions),
        }),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

export async function withRealStack(options: RealStackOptions, scenario: (stack: RealStack) => Promise<void>): Promise<void> {
  const stack = await startRealStack(options);
  try {
    await scenario(stack);
  } catch (error) {
    // What Authelia said is most of the story when a scenario fails.
    throw Object.assign(error as Error, { message: `${(error as Error).message}\n--- Authelia ${options.autheliaVersion} (last lines) ---\n${stack.authelia.output().slice(-3000)}` });
  } finally {
    await stack.close();
  }
}

/**
 * The grid: `npm test` runs the newest Authelia with the oldest and newest PocketBase; AUTHELIA_GRID=all
 * (npm run test:authelia) every Authelia version with upstream 0.27.1, npm's 0.28.4 and 0.38.2 and
 * upstream's newest.
 */
export const POCKETBASE_OLDEST = BUILT_POCKETBASE_VERSIONS[0]!;
export const POCKETBASE_NEWEST = BUILT_POCKETBASE_VERSIONS[BUILT_POCKETBASE_VERSIONS.length - 1]!;
export { AUTHELIA_NEWEST };
