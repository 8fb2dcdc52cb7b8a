import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { publishFile } from '../index/atomic.ts';
import { ConfigError } from '../errors.ts';

/**
 * Conversation ids only the server issues: 128 random bits and the issue time, signed with
 * HMAC-SHA256 under a server secret — `<payload>.<mac>`, both base64url. A client cannot guess
 * another's id nor make one up, and every replica sharing the secret accepts the others' ids.
 */

const RANDOM_BYTES = 16;
const PAYLOAD_CHARS = 27; // base64url of 16 random bytes + a 4-byte issue time
const MAC_CHARS = 43; // base64url of 32 bytes
const ID_PATTERN = new RegExp(`^[A-Za-z0-9_-]{${PAYLOAD_CHARS}}\\.[A-Za-z0-9_-]{${MAC_CHARS}}$`);
// Domain separation: the secret may sign other things one day.
const MAC_CONTEXT = 'policy-assistant/conversation-id/v1.';
export const MIN_SECRET_LENGTH = 32;

export type IdCheck = { valid: true; issuedAt: number } | { valid: false };

export class ConversationIds {
  private readonly key: Buffer;

  constructor(secret: string | Buffer) {
    this.key = Buffer.isBuffer(secret) ? secret : Buffer.from(secret, 'utf8');
    if (this.key.length < MIN_SECRET_LENGTH) throw new Error(`the conversation id secret must be at least ${MIN_SECRET_LENGTH} bytes`);
  }

  issue(now = Date.now()): string {
    const payload = Buffer.alloc(RANDOM_BYTES + 4);
    randomBytes(RANDOM_BYTES).copy(payload);
    payload.writeUInt32BE(Math.floor(now / 1000), RANDOM_BYTES);
    const text = payload.toString('base64url');
    return `${text}.${this.mac(text)}`;
  }

  /** Whether the server issued `id`; any changed character fails (the MAC is compared as text, not decoded bytes). */
  check(id: string): IdCheck {
    if (!ID_PATTERN.test(id)) return { valid: false };
    const [payload, mac] = id.split('.') as [string, string];
    if (!timingSafeEqual(Buffer.from(this.mac(payload)), Buffer.from(mac))) return { valid: false };
    return { valid: true, issuedAt: Buffer.from(payload, 'base64url').readUInt32BE(RANDOM_BYTES) * 1000 };
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.key).update(MAC_CONTEXT + payload).digest('base64url');
  }
}

export const SECRET_ENV = 'POLICY_ASSISTANT_SECRET';
export const SECRET_FILE = 'secret';

/**
 * The secret: POLICY_ASSISTANT_SECRET when set (replicas on different machines share it), else
 * the one kept in `<cache>/secret`, created on first start. Created with link(2), which never
 * replaces an existing file, so replicas starting together on one data folder agree on the first
 * one written; the file is complete before it becomes visible, and readable by its owner only.
 */
export async function loadSecret(cacheDir: string, configured?: string): Promise<string> {
  if (configured) {
    if (configured.length < MIN_SECRET_LENGTH) throw new ConfigError(`${SECRET_ENV} must be at least ${MIN_SECRET_LENGTH} characters (e.g. the output of: openssl rand -base64 32)`);
    return configured;
  }
  const file = path.join(cacheDir, SECRET_FILE);
  const existing = await readSecretFile(file);
  if (existing) return existing;
  try {
    await mkdir(cacheDir, { recursive: true });
    // Linked, never renamed over: replicas starting together keep whichever secret was first.
    await publishFile(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
  } catch (e) {
    throw new ConfigError(`cannot create the conversation id secret ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'}); make the folder writable or set ${SECRET_ENV}`);
  }
  const written = await readSecretFile(file);
  if (!written) throw new ConfigError(`could not create the conversation id secret ${file}`);
  return written;
}

async function readSecretFile(file: string): Promise<string | undefined> {
  let text: string;
  try {
    text = (await readFile(file, 'utf8')).trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`cannot read the conversation id secret ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (text.length < MIN_SECRET_LENGTH) throw new ConfigError(`the conversation id secret ${file} is damaged; delete it (ids issued so far stop working) or set ${SECRET_ENV}`);
  return text;
}
