import type { Command } from "commander";
import { addWriter, generateNetworkKey } from "../config/secret-files.js";
import { tlsInit } from "./tls-init.js";

/** `blockchain keygen`, `blockchain token`, `blockchain tls-init`: a private network's files (SPEC section 10). */
export function registerPrivateCommands(program: Command): void {
  program
    .command("keygen")
    .description(
      "write a random 32-byte network key (64 hex digits, mode 0600) for --network-key; an existing file is kept",
    )
    .argument("<file>", "the key file to create")
    .action((file: string) => {
      generateNetworkKey(file);
      process.stdout.write(
        `network key written to ${file} (mode 0600); give it to every member node\n`,
      );
    });

  program
    .command("token")
    .description(
      "add a writer to a token file (created with mode 0600) and print its token once; the file keeps only a salted hash",
    )
    .argument("<tokens_file>", "the writers' token file, for --write-tokens")
    .argument("<name>", "the writer's name (shown in the node's log for each message)")
    .action(async (file: string, name: string) => {
      const token = await addWriter(file, name);
      process.stdout.write(`${token}\n`);
      process.stderr.write(
        `writer '${name}' added to ${file}; the token above is shown only now (use it with --token or BLOCKCHAIN_TOKEN)\n`,
      );
    });

  program
    .command("tls-init")
    .description(
      "make a group CA (ca.pem) and a certificate and key per host (<host>.pem, <host>.key) in <dir>, with openssl",
    )
    .argument("<dir>", "the folder to write them in (created; must not hold a CA yet)")
    .requiredOption(
      "--hosts <a,b,...>",
      "the hosts' names or IP addresses, as peers reach them",
      (value: string) =>
        value
          .split(",")
          .map((h) => h.trim())
          .filter(Boolean),
    )
    .action((dir: string, flags: { hosts: string[] }) => {
      const made = tlsInit(dir, flags.hosts);
      const lines = made.hosts.map(
        (h) => `  ${h.host}: --tls-cert ${h.cert} --tls-key ${h.key} --tls-ca ${made.caCert}`,
      );
      process.stdout.write(
        `group CA: ${made.caCert} (its key ca.key signs new hosts; keep it off the nodes)\n${lines.join("\n")}\n`,
      );
    });
}
