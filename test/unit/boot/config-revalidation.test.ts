import { describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../../../src/core/boot/config.js';

const SECRET = 'Sup3r-Secret-Value-9f2c';
const BASE = { AUTHELIA_URL: 'https://auth.example.com', AUTHELIA_CLIENT_SECRET: SECRET } as const;
const noFiles = (path: string): string => {
  throw new Error(`unexpected read of ${path}`);
};

function revalidation(env: Record<string, string>, readFile = noFiles): Config['revalidation'] {
  const result = parseConfig({ ...BASE, ...env }, readFile);
  if (result.status !== 'valid') throw new Error(`expected a valid config, got ${JSON.stringify(result)}`);
  return result.config.revalidation;
}

function problems(env: Record<string, string>): Array<{ variable: string; message: string }> {
  const result = parseConfig({ ...BASE, ...env }, noFiles);
  if (result.status !== 'invalid') throw new Error(`expected an invalid config, got ${JSON.stringify(result)}`);
  return [...result.issues];
}

describe('parseConfig: revalidation after the login', () => {
  it('defaults to a check after 5 minutes, a 24 hour bound and a sweep every 10 minutes, key from the secret', () => {
    expect(revalidation({})).toEqual({ revalidateAfterSeconds: 300, maxSessionSeconds: 86400, sweep: '*/10 * * * *', tokenKey: null });
  });

  it.each<[Record<string, string>, Partial<Config['revalidation']>]>([
    [{ AUTHELIA_REVALIDATE_AFTER: '90s' }, { revalidateAfterSeconds: 90 }],
    [{ AUTHELIA_REVALIDATE_AFTER: '0' }, { revalidateAfterSeconds: 0 }],
    [{ AUTHELIA_REVALIDATE_AFTER: 'off' }, { revalidateAfterSeconds: 0 }],
    [{ AUTHELIA_REVALIDATE_AFTER: 'OFF' }, { revalidateAfterSeconds: 0 }],
    [{ AUTHELIA_MAX_SESSION: '8h' }, { maxSessionSeconds: 28800 }],
    [{ AUTHELIA_SWEEP: 'off' }, { sweep: null }],
    [{ AUTHELIA_SWEEP: '@hourly' }, { sweep: '@hourly' }],
    [{ AUTHELIA_SWEEP: '*/5  * * * *' }, { sweep: '*/5 * * * *' }],
    [{ AUTHELIA_TOKEN_KEY: 'k'.repeat(32) }, { tokenKey: 'k'.repeat(32) }],
  ])('reads %j', (env, expected) => {
    expect(revalidation(env)).toMatchObject(expected);
  });

  it('reads AUTHELIA_TOKEN_KEY from AUTHELIA_TOKEN_KEY_FILE', () => {
    const key = '0123456789abcdef0123456789abcdef';
    expect(revalidation({ AUTHELIA_TOKEN_KEY_FILE: '/run/key' }, (path) => (path === '/run/key' ? `${key}\n` : noFiles(path))).tokenKey).toBe(key);
  });

  it.each<[Record<string, string>, string, RegExp]>([
    [{ AUTHELIA_REVALIDATE_AFTER: '5' }, 'AUTHELIA_REVALIDATE_AFTER', /not a duration.*e\.g\. 90s, 5m.*0 or off/],
    [{ AUTHELIA_REVALIDATE_AFTER: 'never' }, 'AUTHELIA_REVALIDATE_AFTER', /not a duration/],
    [{ AUTHELIA_MAX_SESSION: 'off' }, 'AUTHELIA_MAX_SESSION', /not a duration/],
    [{ AUTHELIA_MAX_SESSION: '0' }, 'AUTHELIA_MAX_SESSION', /longer than 0, e\.g\. 24h/],
    [{ AUTHELIA_SWEEP: '*/10 * * *' }, 'AUTHELIA_SWEEP', /five.*or off/],
    [{ AUTHELIA_SWEEP: '@every 10m' }, 'AUTHELIA_SWEEP', /not a cron macro/],
    [{ AUTHELIA_SWEEP: '61 * * * *' }, 'AUTHELIA_SWEEP', /minute field/],
    [{ AUTHELIA_TOKEN_KEY: 'too-short' }, 'AUTHELIA_TOKEN_KEY', /exactly 32 characters/],
  ])('refuses %j, naming the variable and what to do', (env, variable, message) => {
    const list = problems(env);
    expect(list).toHaveLength(1);
    expect(list[0]?.variable).toBe(variable);
    expect(list[0]?.message).toMatch(message);
  });

  it('never echoes a wrong AUTHELIA_TOKEN_KEY', () => {
    const wrong = 'a-secret-key-of-the-wrong-length';
    expect(JSON.stringify(problems({ AUTHELIA_TOKEN_KEY: `${wrong}x` }))).not.toContain(wrong);
  });

  it('reports every revalidation problem in one go', () => {
    expect(problems({ AUTHELIA_REVALIDATE_AFTER: 'x', AUTHELIA_MAX_SESSION: 'y', AUTHELIA_SWEEP: 'z' }).map((issue) => issue.variable).sort())
      .toEqual(['AUTHELIA_MAX_SESSION', 'AUTHELIA_REVALIDATE_AFTER', 'AUTHELIA_SWEEP']);
  });
});
