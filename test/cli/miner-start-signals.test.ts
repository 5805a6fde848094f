import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  closeSync,
  constants,
  openSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { ChainStore } from "../../src/storage/chain-store.js";
import { BIN } from "../helpers/node-process.js";
import { makePrivateGroup } from "../helpers/private-group.js";
import { withTempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";

/*
 * `blockchain miner start` takes SIGINT and SIGTERM before the node starts
 * (src/cli/miner-command.ts). A start that then fails must still end the
 * process with the start's own error and exit code, however many signals
 * came meanwhile; and a start must not wait forever on a chain path that
 * is no file (a named pipe), where a first signal would only be noted.
 *
 * The signal is sent at a known point of the start: the TLS certificate is a
 * named pipe, which the start reads (after the signals are taken, before
 * anything else is opened) and which blocks it until this test writes to it.
 */

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

interface StartedMiner {
  child: ChildProcess;
  exited: Promise<Exit>;
}

function startMiner(chainPath: string, args: string[], port = "0"): StartedMiner {
  const child = spawn(
    process.execPath,
    [BIN, "miner", "start", chainPath, "--port", port, "--workers", "1", ...args],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const exited = new Promise<Exit>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal, output }));
  });
  return { child, exited };
}

/** The exit, or a failure naming what the process said when it does not come in time. */
async function exitWithin(started: StartedMiner, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), ms);
  });
  const result = await Promise.race([started.exited, late]);
  clearTimeout(timer);
  if (result === "late") {
    started.child.kill("SIGKILL");
    const { output } = await started.exited;
    assert.fail(`the miner did not exit within ${ms} ms; it said:\n${output}`);
  }
  return result;
}

/** Opens the write end of the pipe once a reader (the start) has it open: the start is blocked there. */
async function writerOnceRead(fifo: string): Promise<number> {
  return waitFor(
    () => {
      try {
        return openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK) + 1;
      } catch {
        return 0;
      }
    },
    { timeoutMs: 20_000, what: `the start to open ${fifo}` },
  ).then((fdPlusOne) => fdPlusOne - 1);
}

const mkfifo = spawnSync("mkfifo", ["--version"]).status === 0 ? false : "no mkfifo here";

// Signals sent together while the start is blocked reach it as one: a second one is sent later below.
for (const signals of [1, 2]) {
  test(`a start that fails after ${signals} signal(s) sent at once exits with the start's error and code 1`, {
    skip: mkfifo,
  }, async () => {
    await withTempDir(async (dir) => {
      const cert = join(dir, "cert.pem");
      const key = join(dir, "key.pem");
      assert.equal(spawnSync("mkfifo", [cert]).status, 0);
      writeFileSync(key, "not a key\n");
      chmodSync(key, 0o600);
      const started = startMiner(join(dir, "chain.json"), ["--tls-cert", cert, "--tls-key", key]);
      try {
        const fd = await writerOnceRead(cert);
        for (let i = 0; i < signals; i++) started.child.kill("SIGTERM");
        writeSync(fd, "not a certificate\n");
        closeSync(fd);
        const exit = await exitWithin(started, 20_000);
        assert.equal(exit.signal, null, exit.output);
        assert.equal(exit.code, 1, exit.output);
        assert.match(exit.output, /the TLS certificate .*cert\.pem is not a PEM certificate/);
        assert.doesNotMatch(exit.output, /listening on/);
      } finally {
        started.child.kill("SIGKILL");
      }
    });
  });
}

test("a start that fails at its listen (the port taken) after a signal came exits with the start's error and code 1 and leaves the chain file free", {
  skip: mkfifo,
}, async () => {
  const group = await makePrivateGroup({ tls: true });
  const taken = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      taken.once("error", reject);
      taken.listen(0, "127.0.0.1", resolve);
    });
    const port = String((taken.address() as AddressInfo).port);
    const tls = group.tls as { cert: string; key: string };
    const cert = join(group.dir, "cert-pipe.pem");
    const chain = join(group.dir, "chain.json");
    assert.equal(spawnSync("mkfifo", [cert]).status, 0);
    const started = startMiner(chain, ["--tls-cert", cert, "--tls-key", tls.key], port);
    try {
      const fd = await writerOnceRead(cert);
      started.child.kill("SIGTERM");
      writeSync(fd, readFileSync(tls.cert));
      closeSync(fd);
      const exit = await exitWithin(started, 30_000);
      assert.equal(exit.signal, null, exit.output);
      assert.equal(exit.code, 1, exit.output);
      assert.doesNotMatch(exit.output, /listening on/);
      assert.match(exit.output, /the port is in use/);
      // The lock is released: the chain opens again.
      const opened = await ChainStore.open(chain, { format: "json", difficulty: 1 });
      await opened.store.close();
    } finally {
      started.child.kill("SIGKILL");
    }
  } finally {
    taken.close();
    await group.remove();
  }
});

test("a chain path that is a named pipe: the start fails naming it, instead of waiting on it", {
  skip: mkfifo,
}, async () => {
  await withTempDir(async (dir) => {
    const chain = join(dir, "chain.json");
    assert.equal(spawnSync("mkfifo", [chain]).status, 0);
    const started = startMiner(chain, []);
    try {
      const exit = await exitWithin(started, 20_000);
      assert.equal(exit.code, 1, exit.output);
      assert.match(exit.output, /chain\.json.*not a regular file/);
    } finally {
      started.child.kill("SIGKILL");
    }
  });
});
