/**
 * Every line goes through PocketBase's logger, so operators see it in the
 * dashboard's Logs page. Messages never include the client secret.
 */
const PREFIX = 'authelia: ';

export function logInfo(app: CoreApp, message: string, ...attributes: unknown[]): void {
  app.logger().info(PREFIX + message, ...attributes);
}

export function logWarn(app: CoreApp, message: string, ...attributes: unknown[]): void {
  app.logger().warn(PREFIX + message, ...attributes);
}

export function logError(app: CoreApp, message: string, ...attributes: unknown[]): void {
  app.logger().error(PREFIX + message, ...attributes);
}
