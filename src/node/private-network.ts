import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  COOKIE_FILE,
  newToken,
  readNetworkKey,
  readSecretFile,
  readTokenFile,
  SecretFileError,
  WriterTokens,
  writeCookie,
} from "../config/secret-files.js";

/** The switches of a private network (SPEC section 10), each usable alone; files as given. */
export interface PrivateNetworkOptions {
  /** --network-key: the group's key file. */
  networkKeyFile?: string;
  /** --write-tokens: the writers' token file. */
  writeTokensFile?: string;
  /** --private-reads: every endpoint but the explorer's page needs a token (peers: the key). */
  privateReads?: boolean;
  /** --tls-cert and --tls-key: serve HTTPS. */
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /** --tls-ca: the group's CA, which the peers' certificates must chain to. */
  tlsCaFile?: string;
}

/** The loaded secrets; what is absent stays open. */
export interface PrivateNetwork {
  networkKey?: Buffer;
  /** The writers, the local cookie's among them. */
  writers?: WriterTokens;
  privateReads: boolean;
  /** The local cookie's token, written beside the chain once the node listens. */
  cookieToken?: string;
  serve?: { cert: Buffer; key: Buffer };
  /** How peers are called: HTTPS (with the group's CA) when the node has TLS. */
  peers?: { ca?: Buffer };
}

/** A TLS file that is missing, unreadable or does not fit; the message names it. */
export class TlsFileError extends Error {
  readonly code = "TLS_FILE";
  constructor(message: string) {
    super(message);
    this.name = "TlsFileError";
  }
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new TlsFileError(
      `cannot read the ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** The certificate and key to serve with; both or neither, and they must match. */
function loadServing(
  certFile?: string,
  keyFile?: string,
): { cert: Buffer; key: Buffer } | undefined {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (keyFile === undefined)
    throw new TlsFileError("--tls-cert needs --tls-key (the certificate's private key)");
  if (certFile === undefined)
    throw new TlsFileError("--tls-key needs --tls-cert (the certificate)");
  const cert = readPem(certFile, "TLS certificate");
  const key = readSecretFile(keyFile, "TLS key file");
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new TlsFileError(
      `the TLS certificate ${certFile} is not a PEM certificate (${(err as Error).message})`,
    );
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new TlsFileError(
      `the TLS key ${keyFile} is not a PEM private key (${(err as Error).message})`,
    );
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new TlsFileError(`the TLS certificate ${certFile} does not match the key ${keyFile}`);
  }
  return { cert, key };
}

function loadCa(caFile: string): Buffer {
  const ca = readPem(caFile, "TLS CA certificate");
  try {
    new X509Certificate(ca);
  } catch (err) {
    throw new TlsFileError(
      `the TLS CA ${caFile} is not a PEM certificate (${(err as Error).message})`,
    );
  }
  return ca;
}

/**
 * Reads the private network's files at start; a file others may read, a
 * malformed one or a certificate not matching its key throws an error that
 * names it (the CLI exits 1 with it).
 */
export function loadPrivateNetwork(opts: PrivateNetworkOptions): PrivateNetwork {
  const networkKey = opts.networkKeyFile ? readNetworkKey(opts.networkKeyFile) : undefined;
  const privateReads = opts.privateReads ?? false;
  let writers: WriterTokens | undefined;
  let cookieToken: string | undefined;
  if (opts.writeTokensFile !== undefined || privateReads) {
    const entries = opts.writeTokensFile ? readTokenFile(opts.writeTokensFile) : [];
    cookieToken = newToken();
    writers = new WriterTokens(entries).withToken("local-cookie", cookieToken);
  }
  const serve = loadServing(opts.tlsCertFile, opts.tlsKeyFile);
  const ca = opts.tlsCaFile ? loadCa(opts.tlsCaFile) : undefined;
  // A node with TLS calls its peers over TLS too: a group is all HTTPS or all HTTP.
  const peers = serve || ca ? { ...(ca ? { ca } : {}) } : undefined;
  return {
    ...(networkKey ? { networkKey } : {}),
    ...(writers ? { writers } : {}),
    privateReads,
    ...(cookieToken ? { cookieToken } : {}),
    ...(serve ? { serve } : {}),
    ...(peers ? { peers } : {}),
  };
}

/** Where the local cookie of the node of `chainPath` lives. */
export function cookiePathOf(chainPath: string): string {
  return join(dirname(chainPath), COOKIE_FILE);
}

/** Writes the local cookie (mode 0600) for the node listening at `address`. */
export async function writeLocalCookie(
  chainPath: string,
  address: string,
  token: string,
): Promise<void> {
  await writeCookie(cookiePathOf(chainPath), address, token);
}

/** Removes the local cookie at stop, as bitcoind does. */
export function removeLocalCookie(chainPath: string): void {
  rmSync(cookiePathOf(chainPath), { force: true });
}

export { SecretFileError };
