import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config.js';
import { autheliaSignOutURL, enqueueRevocation, MAX_PENDING_REVOCATIONS, type PendingRevocation } from '../../src/core/sign-out.js';

const BASE = { AUTHELIA_URL: 'https://auth.example.com', AUTHELIA_CLIENT_SECRET: 'secret-1' };
const noFiles = (): string => {
  throw new Error('no files here');
};

describe("autheliaSignOutURL: Authelia's portal sign-out page", () => {
  it.each<[string, string | null, string]>([
    ['https://auth.example.com', null, 'https://auth.example.com/logout'],
    ['https://example.com/authelia', null, 'https://example.com/authelia/logout'],
    ['https://auth.example.com', 'https://app.example.com/?signed=out&x=1', 'https://auth.example.com/logout?rd=https%3A%2F%2Fapp.example.com%2F%3Fsigned%3Dout%26x%3D1'],
  ])('%s with rd %s', (issuer, redirect, url) => {
    expect(autheliaSignOutURL(issuer, redirect)).toBe(url);
  });
});

describe('AUTHELIA_SIGN_OUT_REDIRECT', () => {
  it('defaults to none', () => {
    const result = parseConfig(BASE, noFiles);
    expect(result.status === 'valid' && result.config.signOutRedirect).toBeNull();
  });

  it('takes an http(s) URL', () => {
    const result = parseConfig({ ...BASE, AUTHELIA_SIGN_OUT_REDIRECT: 'https://app.example.com/bye' }, noFiles);
    expect(result.status === 'valid' && result.config.signOutRedirect).toBe('https://app.example.com/bye');
  });

  it.each(['javascript:alert(1)', '/relative', 'https://user:pw@app.example.com/'])('refuses %s, naming the variable and never echoing a password', (value) => {
    const result = parseConfig({ ...BASE, AUTHELIA_SIGN_OUT_REDIRECT: value }, noFiles);
    expect(result.status).toBe('invalid');
    const issues = result.status === 'invalid' ? result.issues : [];
    expect(issues.map((issue) => issue.variable)).toEqual(['AUTHELIA_SIGN_OUT_REDIRECT']);
    expect(JSON.stringify(issues)).not.toContain(':pw@');
  });
});

describe('enqueueRevocation: urgent revocations are never pushed out or delayed by routine ones', () => {
  const item = (name: string, urgency: PendingRevocation['urgency']): PendingRevocation => ({ accessToken: name, refreshToken: '', attempts: 0, urgency });
  const names = (queue: readonly PendingRevocation[]) => queue.map((entry) => entry.accessToken);

  it('puts urgent ones ahead of routine ones, each in arrival order', () => {
    let queue: PendingRevocation[] = [];
    for (const entry of [item('r1', 'routine'), item('u1', 'urgent'), item('r2', 'routine'), item('u2', 'urgent')]) queue = enqueueRevocation(queue, entry).queue;
    expect(names(queue)).toEqual(['u1', 'u2', 'r1', 'r2']);
  });

  it('past the bound gives up the oldest routine entry first, and urgent ones only when nothing else is left', () => {
    const full = [item('u1', 'urgent'), item('r1', 'routine'), item('r2', 'routine')];
    expect(enqueueRevocation(full, item('u2', 'urgent'), 3)).toEqual({ queue: [item('u1', 'urgent'), item('u2', 'urgent'), item('r2', 'routine')], dropped: true });
    expect(names(enqueueRevocation(full, item('r3', 'routine'), 3).queue)).toEqual(['u1', 'r2', 'r3']);
    const urgentOnly = [item('u1', 'urgent'), item('u2', 'urgent')];
    expect(names(enqueueRevocation(urgentOnly, item('r1', 'routine'), 2).queue)).toEqual(['u1', 'u2']);
    expect(names(enqueueRevocation(urgentOnly, item('u3', 'urgent'), 2).queue)).toEqual(['u2', 'u3']);
    expect(enqueueRevocation([], item('u1', 'urgent'), 2).dropped).toBe(false);
  });

  it('holds at most MAX_PENDING_REVOCATIONS by default', () => {
    let queue: PendingRevocation[] = [item('u', 'urgent')];
    for (let i = 0; i < MAX_PENDING_REVOCATIONS + 50; i++) queue = enqueueRevocation(queue, item(`r${i}`, 'routine')).queue;
    expect(queue).toHaveLength(MAX_PENDING_REVOCATIONS);
    expect(queue[0]?.accessToken).toBe('u');
  });
});
