import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Seals session material (cookies, tokens) with AES-256-GCM before it goes to Redis, and
 * opens it again: whoever reads Redis without the key learns nothing and can change
 * nothing unnoticed. The record's name is the associated data, so a sealed value moved
 * under another principal's name does not open.
 */
export class Sealer {
  readonly #key: Buffer;

  /** @param key - 32 bytes. */
  constructor(key: Buffer) {
    this.#key = key;
  }

  /** JSON of `value`, sealed: `v1.` and base64 of IV, tag and ciphertext. */
  seal(name: string, value: unknown): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(name, 'utf8'));
    const body = Buffer.concat([cipher.update(JSON.stringify(value) ?? 'null', 'utf8'), cipher.final()]);
    return VERSION + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  /**
   * Opens what {@link Sealer.seal} made under the same name.
   *
   * @throws Error when it was sealed with another key, under another name, or altered.
   */
  open(name: string, sealed: string): unknown {
    if (!sealed.startsWith(VERSION)) throw new Error('not a sealed value of a known version');
    const raw = Buffer.from(sealed.slice(VERSION.length), 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('sealed value too short');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(name, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    const text = Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    return JSON.parse(text) as unknown;
  }
}
