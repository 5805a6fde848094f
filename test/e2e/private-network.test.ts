import assert from "node:assert/strict";
import { chmodSync, readFileSync, statSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import {
  PEER_ANSWER_HEADER,
  PEER_AUTH_HEADER,
  PRIVATE_NETWORK_HEADER,
  signRequest,
} from "../../src/config/peer-proof.js";
import { readNetworkKey } from "../../src/config/secret-files.js";
import { httpRequest } from "../../src/net/http-client.js";
import { makePrivateGroup, type PrivateGroup } from "../helpers/private-group.js";
import { runCli } from "../helpers/run-cli.js";
import { http, startTestMiner, type TestMiner } from "../helpers/start-miner.js";
import { waitFor } from "../helpers/wait-for.js";

const FAST_JOBS = { gossipIntervalS: 0.3, chainSyncIntervalS: 0.3, dataSyncIntervalS: 0.3 };

/** How many peer requests of `miner` ended with `outcome` (prom-client's counter). */
async function peerOutcomes(node: TestMiner, outcome: string): Promise<number> {
  const values = (await node.miner.metrics.peerRequests.get()).values;
  return values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
}

/** A raw request to a node, signed with `key` as a peer would, with the X-Blockchain headers. */
async function signedRequest(
  url: string,
  method: "GET" | "POST",
  path: string,
  opts: { key: Buffer; body?: unknown; signedBody?: unknown; at?: number; header?: string },
) {
  const json = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const signed = opts.signedBody === undefined ? json : JSON.stringify(opts.signedBody);
  const nodeId = "ab".repeat(8);
  const proof = signRequest(opts.key, { method, url: path, nodeId }, signed, opts.at ?? Date.now());
  const answer = await httpRequest(new URL(url).host, {
    method,
    path,
    headers: {
      "x-blockchain-node": "127.0.0.1:1",
      "x-blockchain-node-id": nodeId,
      [PEER_AUTH_HEADER]: opts.header ?? proof.header,
    },
    ...(json === undefined ? {} : { json }),
    timeoutMs: 10_000,
    maxResponseBytes: 1 << 20,
  });
  return {
    status: answer.status,
    headers: answer.headers,
    body: JSON.parse(answer.body.toString("utf8")) as { message?: string },
    header: proof.header,
    nonce: proof.nonce,
  };
}

describe("a private network's membership (network key)", { timeout: 90_000 }, () => {
  let group: PrivateGroup;
  let key: Buffer;
  let member1: TestMiner;
  let member2: TestMiner;
  let outsider: TestMiner;

  before(async () => {
    group = await makePrivateGroup();
    key = readNetworkKey(group.keyFile);
    member1 = await startTestMiner({ privateNetwork: { networkKeyFile: group.keyFile } });
    outsider = await startTestMiner({
      ...FAST_JOBS,
      mine: false,
      neighbours: [member1.miner.address],
    });
    member2 = await startTestMiner({
      ...FAST_JOBS,
      mine: false,
      neighbours: [member1.miner.address, outsider.miner.address],
      privateNetwork: { networkKeyFile: group.keyFile },
    });
  });
  after(async () => {
    await Promise.all([member1, member2, outsider].map((node) => node?.stop()));
    await group?.remove();
  });

  it("members exchange blocks; the outsider gets no block, no data and no neighbour", async () => {
    await http(`${outsider.url}/add?message=${encodeURIComponent("from the outsider")}`, {
      method: "PUT",
    });
    await http(`${member1.url}/add?message=${encodeURIComponent("members only")}`, {
      method: "PUT",
    });
    await waitFor(() => member2.miner.chain.length === 2, {
      what: "member1's block on member2",
    });
    // The outsider has tried both members and been refused by each (no answer proves... ours).
    await waitFor(async () => (await peerOutcomes(outsider, "other-network")) >= 1, {
      what: "the outsider refused by a member",
    });
    await waitFor(async () => (await peerOutcomes(member2, "other-network")) >= 1, {
      what: "member2 finding that the outsider cannot prove the key",
    });
    assert.deepEqual(outsider.miner.neighbours, []);
    assert.deepEqual(member2.miner.neighbours, [member1.miner.address]);
    assert.ok(!member1.miner.neighbours.includes(outsider.miner.address));
    assert.equal(outsider.miner.chain.length, 1, "the outsider learnt no block");
    assert.equal(outsider.miner.pending.length, 1, "the outsider learnt no message");
    for (const member of [member1, member2]) {
      assert.ok(
        member.miner.chain.every((b) => b.data.message !== "from the outsider"),
        "nothing of the outsider reaches the members",
      );
      assert.ok(member.miner.pending.every((d) => d.message !== "from the outsider"));
    }
  });

  it("a peer request without a proof gets 401 naming the network key, and is not learnt", async () => {
    for (const [method, path, body] of [
      ["POST", "/blocks", { blocks: [] }],
      ["POST", "/data", { data: [] }],
    ] as const) {
      const answer = await http(`${member1.url}${path}`, {
        method,
        headers: { "content-type": "application/json", "x-blockchain-node": "127.0.0.1:9" },
        body: JSON.stringify(body),
      });
      assert.equal(answer.status, 401, path);
      assert.match(answer.body.message, /network key/);
      assert.equal(answer.headers.get(PRIVATE_NETWORK_HEADER), "private");
    }
    const read = await http(`${member1.url}/neighbours`, {
      headers: { "x-blockchain-node": "127.0.0.1:9", "x-blockchain-node-id": "ab".repeat(8) },
    });
    assert.equal(read.status, 401, "a peer's read without a proof");
    assert.equal((await http(`${member1.url}/status`)).status, 200, "a plain read stays open");
  });

  it("a proof with another group's key, a replay, a clock off by 2 minutes or a changed body: 401 saying which", async () => {
    const other = readNetworkKey(group.otherKeyFile);
    const wrong = await signedRequest(member1.url, "POST", "/data", {
      key: other,
      body: { data: [] },
    });
    assert.equal(wrong.status, 401);
    assert.match(wrong.body.message ?? "", /wrong network key/);

    const good = await signedRequest(member1.url, "POST", "/data", { key, body: { data: [] } });
    assert.equal(good.status, 200);
    assert.ok(String(good.headers[PEER_ANSWER_HEADER]).length === 64, "the answer proves the key");
    const replay = await signedRequest(member1.url, "POST", "/data", {
      key,
      body: { data: [] },
      header: good.header,
    });
    assert.equal(replay.status, 401);
    assert.match(replay.body.message ?? "", /replayed/);

    const skewed = await signedRequest(member1.url, "GET", "/status", {
      key,
      at: Date.now() - 120_000,
    });
    assert.equal(skewed.status, 401);
    assert.match(skewed.body.message ?? "", /clock skew: .*120 s behind/);

    const swapped = await signedRequest(member1.url, "POST", "/data", {
      key,
      body: { data: [{ id: "0".repeat(32), message: "swapped" }] },
      signedBody: { data: [] },
    });
    assert.equal(swapped.status, 401);
    assert.match(swapped.body.message ?? "", /body/);
    assert.ok(member1.miner.pending.every((d) => d.message !== "swapped"));
  });

  it("an open node refuses a private node's request, saying it is open", async () => {
    const answer = await signedRequest(outsider.url, "POST", "/data", { key, body: { data: [] } });
    assert.equal(answer.status, 401);
    assert.equal(answer.headers[PRIVATE_NETWORK_HEADER], "open");
    assert.match(answer.body.message ?? "", /open network/);
  });
});

describe("writers (write tokens, the local cookie, private reads)", { timeout: 60_000 }, () => {
  let group: PrivateGroup;
  let node: TestMiner;

  before(async () => {
    group = await makePrivateGroup();
    node = await startTestMiner({
      logLevel: "info",
      privateNetwork: { writeTokensFile: group.tokensFile, privateReads: true },
    });
  });
  after(async () => {
    await node?.stop();
    await group?.remove();
  });

  it("PUT and POST /add without a writer's token: 401; with one: added, the writer named in the log, never the token", async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: "Bearer bct_wrong" },
      { authorization: "Basic x" },
    ];
    for (const headers of attempts) {
      const put = await http(`${node.url}/add?message=nope`, { method: "PUT", headers });
      assert.equal(put.status, 401);
      assert.match(put.body.message, /Authorization: Bearer/);
      const post = await http(`${node.url}/add`, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body: JSON.stringify({ message: "nope" }),
      });
      assert.equal(post.status, 401);
    }
    const added = await http(`${node.url}/add?message=signed`, {
      method: "PUT",
      headers: { authorization: `Bearer ${group.token}` },
    });
    assert.equal(added.status, 200);
    const log = await waitFor(
      () => {
        const text = readFileSync(`${node.dir}/miner.log`, "utf8");
        return text.includes(`added by writer alice`) ? text : null;
      },
      { what: "the writer's name in miner.log" },
    );
    assert.ok(log.includes(added.body.id));
    assert.ok(!log.includes(group.token), "the token is never logged");
    assert.ok(!readFileSync(group.tokensFile, "utf8").includes(group.token), "only hashes kept");
  });

  it("with private reads, the chain, data and status need a token; the explorer's page does not", async () => {
    for (const path of ["/chain", "/data", "/status", "/neighbours", "/blocks", "/metrics"]) {
      assert.equal((await http(`${node.url}${path}`)).status, 401, path);
    }
    const auth = { authorization: `Bearer ${group.token}` };
    assert.equal((await http(`${node.url}/chain`, { headers: auth })).status, 200);
    assert.equal((await http(`${node.url}/`)).status, 200);
  });

  it("the local cookie (mode 0600, beside the chain) lets the CLI write with no set-up", async () => {
    const cookie = `${node.dir}/.cookie`;
    assert.equal(statSync(cookie).mode & 0o777, 0o600);
    const port = String(node.miner.port);
    const withCookie = await runCli(["add", "by cookie", "--port", port, "--cookie", cookie]);
    assert.equal(withCookie.code, 0, withCookie.stderr);
    assert.match(withCookie.stdout, /^[0-9a-f]{32}\n$/);
    const withToken = await runCli(["get", "status", "--port", port, "--json"], {
      env: { ...process.env, BLOCKCHAIN_TOKEN: group.token },
    });
    assert.equal(withToken.code, 0, withToken.stderr);
    const without = await runCli(["add", "x", "--port", port], {
      env: { ...process.env, HOME: group.dir, BLOCKCHAIN_TOKEN: "" },
      cwd: group.dir,
    });
    assert.equal(without.code, 1);
    assert.match(without.stderr, /401.*--token or BLOCKCHAIN_TOKEN/);
  });

  it("a token file others may read is refused at start, naming it and its mode", async () => {
    chmodSync(group.tokensFile, 0o644);
    try {
      const run = await runCli([
        "miner",
        "start",
        `${group.dir}/chain.json`,
        "--port",
        "0",
        "--write-tokens",
        group.tokensFile,
      ]);
      assert.equal(run.code, 1);
      assert.ok(run.stderr.includes(group.tokensFile), run.stderr);
      assert.match(run.stderr, /mode 0644/);
    } finally {
      chmodSync(group.tokensFile, 0o600);
    }
  });
});

describe("bad secret files at start", { timeout: 60_000 }, () => {
  let group: PrivateGroup;
  before(async () => {
    group = await makePrivateGroup({ tls: true });
  });
  after(async () => {
    await group?.remove();
  });

  const start = (args: string[]) =>
    runCli(["miner", "start", `${group.dir}/chain.json`, "--port", "0", ...args]);

  it("a network key readable by others: exit 1 naming the file and its mode", async () => {
    chmodSync(group.keyFile, 0o640);
    try {
      const run = await start(["--network-key", group.keyFile]);
      assert.equal(run.code, 1);
      assert.ok(run.stderr.includes(`${group.keyFile} has mode 0640`), run.stderr);
    } finally {
      chmodSync(group.keyFile, 0o600);
    }
  });

  it("--tls-cert without --tls-key, or with another certificate's key: exit 1 naming it", async () => {
    const tls = group.tls as { ca: string; cert: string; key: string };
    const missing = await start(["--tls-cert", tls.cert]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /--tls-cert needs --tls-key/);
    const mismatch = await start(["--tls-cert", tls.ca, "--tls-key", tls.key]);
    assert.equal(mismatch.code, 1);
    assert.ok(
      mismatch.stderr.includes(`${tls.ca} does not match the key ${tls.key}`),
      mismatch.stderr,
    );
  });

  it("keygen refuses to overwrite a key; a key of the wrong shape is named", async () => {
    const again = await runCli(["keygen", group.keyFile]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists already/);
    const bad = `${group.dir}/bad.key`;
    const { writeFileSync } = await import("node:fs");
    writeFileSync(bad, "not a key\n", { mode: 0o600 });
    const run = await start(["--network-key", bad]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /does not hold a key of 64 hex digits/);
  });
});

describe("TLS between members", { timeout: 90_000 }, () => {
  let group: PrivateGroup;
  let nodes: TestMiner[] = [];

  before(async () => {
    group = await makePrivateGroup({ tls: true });
    const tls = group.tls as { ca: string; cert: string; key: string };
    const privateNetwork = {
      networkKeyFile: group.keyFile,
      tlsCertFile: tls.cert,
      tlsKeyFile: tls.key,
      tlsCaFile: tls.ca,
    };
    const first = await startTestMiner({ privateNetwork });
    const second = await startTestMiner({
      ...FAST_JOBS,
      mine: false,
      neighbours: [`https://${first.miner.address}`],
      privateNetwork,
    });
    nodes = [first, second];
  });
  after(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await group?.remove();
  });

  it("members serve HTTPS and agree over it", async () => {
    const [first, second] = nodes as [TestMiner, TestMiner];
    assert.match(first.url, /^https:\/\//);
    await httpRequestOk(first, "/status");
    const run = await runCli([
      "add",
      "over tls",
      "--host",
      `https://127.0.0.1:${first.miner.port}`,
      "--tls-ca",
      (group.tls as { ca: string }).ca,
    ]);
    assert.equal(run.code, 0, run.stderr);
    await waitFor(() => second.miner.chain.length === 2 && first.miner.chain.length === 2, {
      what: "the block mined over TLS on both members",
    });
    assert.equal(second.miner.chain[1]?.data.message, "over tls");
  });

  it("a client without the group's CA refuses the certificate", async () => {
    const [first] = nodes as [TestMiner];
    const run = await runCli(["get", "status", "--host", `https://127.0.0.1:${first.miner.port}`]);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /cannot reach the node at https:.*(CERT|certificate|SELF_SIGNED|UNABLE)/i,
    );
  });

  async function httpRequestOk(node: TestMiner, path: string) {
    const answer = await httpRequest(`127.0.0.1:${node.miner.port}`, {
      method: "GET",
      path,
      timeoutMs: 10_000,
      maxResponseBytes: 1 << 20,
      tls: { ca: readFileSync((group.tls as { ca: string }).ca) },
    });
    assert.equal(answer.status, 200);
  }
});
