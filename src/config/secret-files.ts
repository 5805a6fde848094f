import { createHash, hash, randomBytes, timingSafeEqual } from "node:crypto";
import {
  chmodSync,
  closeSync,
  constants,
  openSync,
  readFileSync,
  statSync,
  writeSync,
} from "node:fs";
import { writeFile } from "node:fs/promises";

/**
 * The private network's secret files (SPEC section 10): the network key, the
 * writers' token file and the TLS key. Each must be readable by its owner
 * only, as ssh demands of a private key: a file others may read is refused
 * with an error naming the file and its mode.
 */
export class SecretFileError extends Error {
  readonly code = "SECRET_FILE";
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = "SecretFileError";
  }
}

/** Bytes of a network key. */
export const NETWORK_KEY_BYTES = 32;
/** A writer token: a prefix that names it, then 32 random bytes in base64url. */
const TOKEN_PREFIX = "bct_";
const TOKEN_PATTERN = /^bct_[A-Za-z0-9_-]{43}$/;
/** A writer's name: what the log shows for its messages. */
const WRITER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** Reads a secret file, refusing one that its group or others may read. */
export function readSecretFile(path: string, what: string): Buffer {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (err) {
    throw new SecretFileError(
      path,
      `cannot read the ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  if ((mode & 0o077) !== 0) {
    const octal = (mode & 0o777).toString(8).padStart(4, "0");
    throw new SecretFileError(
      path,
      `the ${what} ${path} has mode ${octal}: others may read it; make it readable by its owner only (chmod 600 ${path})`,
    );
  }
  return readFileSync(path);
}

/** Writes a new secret file of mode 0600; refuses to overwrite one. */
export function writeNewSecretFile(path: string, text: string, what: string): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SecretFileError(
      path,
      code === "EEXIST"
        ? `the ${what} ${path} exists already; it is not overwritten (remove it first to replace it)`
        : `cannot write the ${what} ${path}: ${code ?? (err as Error).message}`,
    );
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/** `blockchain keygen`: a random 32-byte key, written as 64 hex digits and a newline. */
export function generateNetworkKey(path: string): void {
  writeNewSecretFile(
    path,
    `${randomBytes(NETWORK_KEY_BYTES).toString("hex")}\n`,
    "network key file",
  );
}

/** The network key of a key file (64 hex digits); errors name the file. */
export function readNetworkKey(path: string): Buffer {
  const text = readSecretFile(path, "network key file").toString("utf8").trim();
  if (!/^[0-9a-fA-F]{64}$/.test(text)) {
    throw new SecretFileError(
      path,
      `the network key file ${path} does not hold a key of 64 hex digits (make one with 'blockchain keygen ${path}')`,
    );
  }
  return Buffer.from(text, "hex");
}

/** One writer of a token file: the name and the salted SHA-256 of its token. */
export interface WriterEntry {
  name: string;
  salt: Buffer;
  hash: Buffer;
}

/**
 * The salted hash of a token. A fast hash suffices: tokens are 256 random
 * bits, which no guessing reaches, so a slow hash (scrypt) would only cost
 * every write its time; the salt keeps equal tokens from showing as equal.
 */
function tokenHash(salt: Buffer, token: string): Buffer {
  return createHash("sha256").update(salt).update(token, "utf8").digest();
}

/** A fresh writer token. */
export function newToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
}

/** The token file's line for a writer: `name sha256:<salt hex>:<hash hex>`. */
function entryLine(name: string, token: string): string {
  const salt = randomBytes(16);
  return `${name} sha256:${salt.toString("hex")}:${tokenHash(salt, token).toString("hex")}\n`;
}

/** Parses a token file; errors name the file and the line. */
export function parseTokenFile(path: string, text: string): WriterEntry[] {
  const entries: WriterEntry[] = [];
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = /^(\S+) sha256:([0-9a-f]{32}):([0-9a-f]{64})$/.exec(line);
    if (!match || !WRITER_NAME.test(match[1] as string)) {
      throw new SecretFileError(
        path,
        `the token file ${path} has a malformed line ${i + 1} (expected 'name sha256:<salt>:<hash>', as 'blockchain token' writes)`,
      );
    }
    entries.push({
      name: match[1] as string,
      salt: Buffer.from(match[2] as string, "hex"),
      hash: Buffer.from(match[3] as string, "hex"),
    });
  }
  return entries;
}

/** Reads the writers of a token file (mode 0600 required). */
export function readTokenFile(path: string): WriterEntry[] {
  return parseTokenFile(path, readSecretFile(path, "token file").toString("utf8"));
}

/**
 * `blockchain token <file> <name>`: adds a writer and returns its token (the
 * only time it is shown). The file is created with mode 0600 when missing.
 */
export async function addWriter(path: string, name: string): Promise<string> {
  if (!WRITER_NAME.test(name)) {
    throw new SecretFileError(
      path,
      `'${name}' is not a writer name: letters, digits and . _ @ - (at most 64, starting with a letter or digit)`,
    );
  }
  const token = newToken();
  let existing = "";
  try {
    existing = readSecretFile(path, "token file").toString("utf8");
  } catch (err) {
    if (!(err instanceof SecretFileError) || !/ENOENT/.test(err.message)) throw err;
    writeNewSecretFile(
      path,
      "# writers: name sha256:<salt>:<salted sha256 of the token>\n",
      "token file",
    );
    existing = readFileSync(path, "utf8");
  }
  if (parseTokenFile(path, existing).some((entry) => entry.name === name)) {
    throw new SecretFileError(path, `the token file ${path} has a writer '${name}' already`);
  }
  const body = existing.endsWith("\n") || existing === "" ? existing : `${existing}\n`;
  await writeFile(path, body + entryLine(name, token), { mode: 0o600 });
  chmodSync(path, 0o600);
  return token;
}

/** Most tokens remembered as verified (by their digest); beyond, the memory starts afresh. */
const MAX_VERIFIED = 1024;

/** Writers and their tokens' salted hashes; says who a token belongs to. */
export class WriterTokens {
  /**
   * Tokens already verified, by their SHA-256 (never the token itself): a
   * writer's next request costs one hash, not one per writer. A look-up by
   * digest tells a timing observer nothing of the token.
   */
  private readonly verified = new Map<string, string>();

  constructor(private readonly entries: readonly WriterEntry[]) {}

  /** Adds a writer known by its token (the local cookie). */
  withToken(name: string, token: string): WriterTokens {
    const salt = randomBytes(16);
    return new WriterTokens([...this.entries, { name, salt, hash: tokenHash(salt, token) }]);
  }

  /** The name of the writer whose token this is, or null; every entry is compared in constant time. */
  writerOf(token: string): string | null {
    if (!TOKEN_PATTERN.test(token)) return null;
    const digest = hash("sha256", token, "hex");
    const known = this.verified.get(digest);
    if (known !== undefined) return known;
    let found: string | null = null;
    for (const entry of this.entries) {
      if (timingSafeEqual(tokenHash(entry.salt, token), entry.hash) && found === null) {
        found = entry.name;
      }
    }
    if (found !== null) {
      if (this.verified.size >= MAX_VERIFIED) this.verified.clear();
      this.verified.set(digest, found);
    }
    return found;
  }
}

/** The cookie file's name in the chain's folder, as bitcoind's `.cookie`. */
export const COOKIE_FILE = ".cookie";

/**
 * Writes the local cookie: `<host:port> <token>`, mode 0600, replaced at each
 * start. Local tools that may read the chain's folder may write too.
 */
export async function writeCookie(path: string, address: string, token: string): Promise<void> {
  await writeFile(path, `${address} ${token}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** The token of a cookie file for a node at `port`, or null (missing, another node's, unreadable). */
export function cookieTokenFor(path: string, port: number): string | null {
  let text: string;
  try {
    text = readSecretFile(path, "cookie file").toString("utf8").trim();
  } catch {
    return null;
  }
  const [address, token] = text.split(" ");
  if (!address || !token || !TOKEN_PATTERN.test(token)) return null;
  return address.endsWith(`:${port}`) ? token : null;
}
