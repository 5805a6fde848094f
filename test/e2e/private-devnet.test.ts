import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { devnetBasePort } from "../helpers/devnet-process.js";
import { BIN } from "../helpers/node-process.js";
import { runCli } from "../helpers/run-cli.js";
import { waitFor } from "../helpers/wait-for.js";

describe("devnet --private --tls", { timeout: 120_000 }, () => {
  const cleanup: (() => Promise<void>)[] = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it("makes the key, a writer token (printed) and the certificates; writes need the token and reach both nodes over HTTPS", async () => {
    const dir = await mkdtemp(join(tmpdir(), "bc-devnet-private-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const port = await devnetBasePort(2);
    const child = spawn(
      process.execPath,
      [BIN, "devnet", "--private", "--tls", "--nodes", "2", "--base-port", String(port)].concat([
        "--dir",
        dir,
        "--difficulty",
        "2",
        "--workers",
        "1",
        "--log-level",
        "warn",
      ]),
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    cleanup.push(async () => {
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
    });
    let out = "";
    child.stdout?.setEncoding("utf8").on("data", (c: string) => (out += c));
    await waitFor(() => out.includes("devnet ready"), {
      timeoutMs: 60_000,
      what: `devnet ready:\n${out}`,
    });

    const token = /writer token: (bct_\S+)/.exec(out)?.[1];
    assert.ok(token, out);
    assert.match(out, new RegExp(`node-0 https://127\\.0\\.0\\.1:${port}`));
    const ca = join(dir, "private", "tls", "ca.pem");
    assert.equal(statSync(join(dir, "private", "network.key")).mode & 0o777, 0o600);
    const target = ["--host", `https://127.0.0.1:${port}`, "--tls-ca", ca];
    const env = { ...process.env, HOME: dir, BLOCKCHAIN_TOKEN: "" };

    const refused = await runCli(["add", "no token", ...target], { env, cwd: dir });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /401/);
    const added = await runCli(["add", "with the token", ...target, "--token", token], {
      env,
      cwd: dir,
    });
    assert.equal(added.code, 0, added.stderr);
    const other = ["--host", `https://127.0.0.1:${port + 1}`, "--tls-ca", ca];
    await waitFor(
      async () => {
        const run = await runCli(["get", "chain", "--json", ...other], { env, cwd: dir });
        return run.code === 0 && run.stdout.includes("with the token");
      },
      { timeoutMs: 30_000, what: "the message in node-1's chain" },
    );
    child.kill("SIGINT");
    assert.equal(await exited, 0);
  });
});
