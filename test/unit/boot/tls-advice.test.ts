import { describe, expect, it } from 'vitest';
import { certificateAdvice, certificateProblem, describeFailure } from '../../../src/core/boot/tls-advice.js';

describe('certificateProblem', () => {
  it.each([
    // Go's crypto/x509 as PocketBase's $http.send reports it (goja wraps the Go error).
    ['Get "https://auth.example.com/.well-known/openid-configuration": tls: failed to verify certificate: x509: certificate signed by unknown authority', undefined, 'untrusted'],
    ['tls: failed to verify certificate: x509: certificate is valid for auth.example.com, not auth.example.org', undefined, 'wrong-name'],
    ["x509: cannot validate certificate for 10.0.0.2 because it doesn't contain any IP SANs", undefined, 'wrong-name'],
    ['tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time …', undefined, 'expired'],
    ['remote error: tls: handshake failure', undefined, 'other-tls'],
    ['dial tcp 127.0.0.1:9091: connect: connection refused', undefined, undefined],
    // Node's codes on a failed fetch's cause.
    ['unable to verify the first certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'untrusted'],
    ['self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'untrusted'],
    ['self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN', 'untrusted'],
    ["Hostname/IP does not match certificate's altnames", 'ERR_TLS_CERT_ALTNAME_INVALID', 'wrong-name'],
    ['certificate has expired', 'CERT_HAS_EXPIRED', 'expired'],
    ['connect ECONNREFUSED 127.0.0.1:9091', 'ECONNREFUSED', undefined],
  ] as const)('%s (%s) → %s', (text, code, expected) => {
    expect(certificateProblem(text, code)).toBe(expected);
  });
});

describe('certificateAdvice', () => {
  it('names the variable the failing runtime reads', () => {
    expect(certificateAdvice('untrusted', 'pocketbase')).toMatch(/SSL_CERT_FILE=.*SSL_CERT_DIR=/);
    expect(certificateAdvice('untrusted', 'pocketbase')).not.toContain('NODE_EXTRA_CA_CERTS');
    expect(certificateAdvice('untrusted', 'cli')).toMatch(/NODE_EXTRA_CA_CERTS=.*SSL_CERT_FILE/);
    expect(certificateAdvice('wrong-name', 'cli')).toContain('AUTHELIA_URL');
    expect(certificateAdvice('expired', 'pocketbase')).toContain('renew');
  });
});

describe('describeFailure', () => {
  it('adds the fix to a certificate failure after boot (Go\'s text), and keeps other failures as they are, shortened', () => {
    const untrusted = 'Get "https://auth.home.test/api/oidc/userinfo": tls: failed to verify certificate: x509: certificate signed by unknown authority';
    expect(describeFailure(untrusted)).toBe(`${untrusted}; ${certificateAdvice('untrusted', 'pocketbase')}`);
    expect(describeFailure(untrusted)).toContain('SSL_CERT_FILE');
    const expired = 'Post "https://auth.home.test/api/oidc/token": tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2026-12-03T14:00:00Z is after 2026-12-01T00:00:00Z';
    expect(describeFailure(expired)).toContain('renew it');
    const refused = 'Get "https://auth.home.test/api/oidc/userinfo": dial tcp 10.0.0.2:443: connect: connection refused';
    expect(describeFailure(refused)).toBe(refused);
    expect(describeFailure('x'.repeat(300))).toBe(`${'x'.repeat(200)}…`);
  });
});
