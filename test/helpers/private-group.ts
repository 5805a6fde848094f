import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tlsInit } from "../../src/cli/tls-init.js";
import { addWriter, generateNetworkKey } from "../../src/config/secret-files.js";

/** The files of a private group, made as a group would with keygen, token and tls-init. */
export interface PrivateGroup {
  dir: string;
  keyFile: string;
  /** A second key: another group's. */
  otherKeyFile: string;
  tokensFile: string;
  /** The writer 'alice''s token. */
  token: string;
  /** With TLS: the CA and 127.0.0.1's certificate and key. */
  tls: { ca: string; cert: string; key: string } | null;
  remove(): Promise<void>;
}

/** Makes a group's key, one writer and, when asked, the TLS files for 127.0.0.1. */
export async function makePrivateGroup(opts: { tls?: boolean } = {}): Promise<PrivateGroup> {
  const dir = await mkdtemp(join(tmpdir(), "bc-group-"));
  const keyFile = join(dir, "network.key");
  const otherKeyFile = join(dir, "other.key");
  const tokensFile = join(dir, "writers");
  generateNetworkKey(keyFile);
  generateNetworkKey(otherKeyFile);
  const token = await addWriter(tokensFile, "alice");
  let tls: PrivateGroup["tls"] = null;
  if (opts.tls) {
    const made = tlsInit(join(dir, "tls"), ["127.0.0.1"]);
    const host = made.hosts[0] as { cert: string; key: string };
    tls = { ca: made.caCert, cert: host.cert, key: host.key };
  }
  return {
    dir,
    keyFile,
    otherKeyFile,
    tokensFile,
    token,
    tls,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
