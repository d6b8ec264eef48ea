/** What an `auth-refresh` refused after (or without) a check with Authelia says to the client. */
export const GONE_MESSAGE = 'Your Authelia account no longer grants access here. Sign in with Authelia again.';
export const EXPIRED_MESSAGE = 'Authelia could not confirm your session for too long. Sign in with Authelia again.';
