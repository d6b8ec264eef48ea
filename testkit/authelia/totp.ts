// RFC 6238 codes for the TOTP secret the launcher seeds (authelia storage user totp generate), so a
// test passes Authelia's second factor as an authenticator app would. Authelia refuses a code it has
// accepted before (its TOTP history), and with its default skew of 1 it accepts the period before
// and after the current one: each user gets the earliest step of those three not yet used.
import { createHmac } from 'node:crypto';

const PERIOD_S = 30;
const DIGITS = 6;

/** A base32 secret (RFC 4648, no padding) of 20 random-looking bytes derived from a name. */
export function totpSecretFor(username: string): string {
  const bytes = createHmac('sha1', 'pocketbase-authelia test totp').update(username).digest();
  return base32(bytes);
}

export function totpCode(secret: string, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', fromBase32(secret)).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** DIGITS;
  return String(value).padStart(DIGITS, '0');
}

/** Hands out one code per call and user, never the same step twice; waits for the next period when all three are spent. */
export class TotpDevice {
  private readonly lastStep = new Map<string, number>();

  /** A fresh storage forgets the codes it accepted. */
  reset(): void {
    this.lastStep.clear();
  }

  async nextCode(username: string): Promise<string> {
    for (;;) {
      const now = Math.floor(Date.now() / 1000 / PERIOD_S);
      const step = Math.max(now - 1, (this.lastStep.get(username) ?? -Infinity) + 1);
      if (step <= now + 1) {
        this.lastStep.set(username, step);
        return totpCode(totpSecretFor(username), step);
      }
      await new Promise((done) => setTimeout(done, 1_000));
    }
  }
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

function fromBase32(text: string): Buffer {
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of text) {
    value = (value << 5) | ALPHABET.indexOf(char);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}
