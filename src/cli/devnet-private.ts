import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  addWriter,
  generateNetworkKey,
  readSecretFile,
  writeNewSecretFile,
} from "../config/secret-files.js";
import { tlsInit } from "./tls-init.js";

/** What a private devnet's nodes are started with, and what devnet prints. */
export interface PrivateDevnet {
  /** `miner start` flags every node gets. */
  nodeArgs: string[];
  /** The writer token for `add --token` (or BLOCKCHAIN_TOKEN); null without --private. */
  token: string | null;
  /** The group's CA, for clients (`--tls-ca`); null without --tls. */
  caFile: string | null;
  /** The lines devnet prints about it. */
  lines: string[];
}

/**
 * `devnet --private [--tls]`: the group's files in DIR/private, made on the
 * first run and kept for the next (as the chains are): a network key, a
 * writer 'devnet' whose token is kept in devnet.token (mode 0600) so that
 * every run can print it, and with --tls a CA and a certificate for 127.0.0.1.
 */
export async function preparePrivateDevnet(
  dir: string,
  opts: { private: boolean; tls: boolean },
): Promise<PrivateDevnet> {
  if (!opts.private && !opts.tls) return { nodeArgs: [], token: null, caFile: null, lines: [] };
  const folder = join(dir, "private");
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const nodeArgs: string[] = [];
  const lines: string[] = [];
  let token: string | null = null;
  if (opts.private) {
    const keyFile = join(folder, "network.key");
    const tokensFile = join(folder, "writers");
    const tokenFile = join(folder, "devnet.token");
    if (!existsSync(keyFile)) generateNetworkKey(keyFile);
    if (!existsSync(tokenFile)) {
      token = await addWriter(tokensFile, `devnet-${Date.now()}`);
      writeNewSecretFile(tokenFile, `${token}\n`, "devnet token file");
    } else {
      token = readSecretFile(tokenFile, "devnet token file").toString("utf8").trim();
    }
    nodeArgs.push("--network-key", keyFile, "--write-tokens", tokensFile);
    lines.push(
      `private network: key ${keyFile}, writers ${tokensFile}`,
      `writer token: ${token}  (blockchain add --token <token> ..., or BLOCKCHAIN_TOKEN)`,
    );
  }
  let caFile: string | null = null;
  if (opts.tls) {
    const tlsDir = join(folder, "tls");
    caFile = join(tlsDir, "ca.pem");
    if (!existsSync(caFile)) tlsInit(tlsDir, ["127.0.0.1"]);
    // The certificate must exist now (an interrupted first run leaves a CA alone).
    readFileSync(join(tlsDir, "127.0.0.1.pem"));
    nodeArgs.push(
      "--tls-cert",
      join(tlsDir, "127.0.0.1.pem"),
      "--tls-key",
      join(tlsDir, "127.0.0.1.key"),
      "--tls-ca",
      caFile,
    );
    lines.push(`TLS: the group's CA is ${caFile} (clients: --tls-ca ${caFile})`);
  }
  return { nodeArgs, token, caFile, lines };
}
