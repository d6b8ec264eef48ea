// Certificate failures reaching Authelia, told apart so that the message names the fix. Homelab
// Authelias often run on a private CA: PocketBase (Go) trusts one through SSL_CERT_FILE or
// SSL_CERT_DIR, the operator CLI (Node) through NODE_EXTRA_CA_CERTS. Neither reads the other's.

/** Who failed to verify the certificate: PocketBase's Go runtime, or the operator CLI in Node. */
export type TlsClient = 'pocketbase' | 'cli';

export type CertificateProblem = 'untrusted' | 'wrong-name' | 'expired' | 'other-tls';

// Node's codes (the `cause.code` of a failed fetch), from OpenSSL's verify results.
const NODE_CODES: Readonly<Record<string, CertificateProblem>> = {
  SELF_SIGNED_CERT_IN_CHAIN: 'untrusted',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'untrusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'untrusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'untrusted',
  UNABLE_TO_GET_ISSUER_CERT: 'untrusted',
  ERR_TLS_CERT_ALTNAME_INVALID: 'wrong-name',
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'expired',
};

/**
 * Classifies a connection failure: Node's error code when there is one, else the text of Go's
 * error (crypto/x509's messages: "certificate signed by unknown authority", "certificate is valid
 * for …, not …", "certificate has expired or is not yet valid"). Undefined: not a certificate problem.
 */
export function certificateProblem(text: string, code?: string): CertificateProblem | undefined {
  if (code !== undefined && NODE_CODES[code] !== undefined) return NODE_CODES[code];
  if (/x509: certificate signed by unknown authority|x509: .*self[- ]signed/i.test(text)) return 'untrusted';
  if (/x509: certificate is (valid for|not valid for)|x509: cannot validate certificate .* because it doesn't contain any IP SANs/i.test(text)) return 'wrong-name';
  if (/x509: certificate has expired or is not yet valid/i.test(text)) return 'expired';
  if (/\bx509: |\btls: /i.test(text)) return 'other-tls';
  return undefined;
}

/** The sentence that names the problem and the variable that fixes it, for the client that failed. */
export function certificateAdvice(problem: CertificateProblem, client: TlsClient): string {
  const who = client === 'pocketbase' ? 'PocketBase' : 'this check (Node.js)';
  switch (problem) {
    case 'untrusted':
      return client === 'pocketbase'
        ? "PocketBase does not trust Authelia's TLS certificate: when it comes from a private CA, start PocketBase with " +
          'SSL_CERT_FILE=<a PEM file holding that CA> (it replaces the system CA bundle file, so append the CA to a copy ' +
          'of /etc/ssl/certs/ca-certificates.crt) or SSL_CERT_DIR=<a folder of CA files>'
        : "this check does not trust Authelia's TLS certificate: when it comes from a private CA, run it with " +
          'NODE_EXTRA_CA_CERTS=<a PEM file holding that CA> (PocketBase needs the same CA, through SSL_CERT_FILE)';
    case 'wrong-name':
      return `Authelia's TLS certificate does not name the host in AUTHELIA_URL (${who} checked): set AUTHELIA_URL to a name the certificate ` +
        'holds, or issue the certificate for that host';
    case 'expired':
      return `Authelia's TLS certificate has expired or is not valid yet (${who} checked): renew it, or check the clocks`;
    case 'other-tls':
      return `the TLS connection to Authelia failed (${who}): check that AUTHELIA_URL's scheme and port are Authelia's, and its certificate`;
  }
}

/**
 * A failed request to Authelia as the log and the status page tell it: Go's error, shortened (it
 * names the URL and the cause, never a token), and when it is a certificate problem, what fixes it:
 * a certificate renewed by another CA or expired after boot breaks every check, not the boot.
 */
export function describeFailure(text: string, maxLength = 200): string {
  const short = text.length > maxLength ? `${text.slice(0, maxLength)}…` : text;
  const problem = certificateProblem(text);
  return problem === undefined ? short : `${short}; ${certificateAdvice(problem, 'pocketbase')}`;
}
