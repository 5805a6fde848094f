import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RECORDS_MEDIA_TYPES } from "../../src/config/config.js";
import type { Block } from "../../src/core/block.js";
import { hashBlock } from "../../src/core/hash.js";
import { MAX_FUTURE_DRIFT_MS } from "../../src/core/validate.js";
import { nextPageSize } from "../../src/net/chain-sync.js";
import { codecFor } from "../../src/storage/chain-format.js";
import { waitFor } from "../helpers/wait-for.js";
import { branch, longChain, stoppedAfterEach } from "./net-fixture.js";
import { PeerServer } from "./peer-server.js";

// Chain sync through pages of records (binary or JSON Lines), from stand-in peers
// that answer GET /blocks with records when asked for them.

const LONG = longChain(2500);

const { node, started } = stoppedAfterEach();

type Format = "json" | "binary";

/**
 * A peer holding `chain` that answers GET /blocks with records of `format`
 * when the request accepts records; `edit` may change the records of a page.
 */
async function recordsPeer(
  chain: Block[],
  format: Format,
  edit?: (records: Buffer[], from: number) => void,
): Promise<PeerServer> {
  const peer = new PeerServer(chain);
  peer.override = (req, res) => {
    if (req.method !== "GET" || req.path !== "/blocks") return false;
    if (!req.accept?.includes(RECORDS_MEDIA_TYPES[format])) return false;
    const from = Number(req.query.get("from"));
    const limit = Number(req.query.get("limit"));
    const records = peer.chain
      .slice(from, from + limit)
      .map((b) => codecFor(format).encodeRecord(b));
    edit?.(records, from);
    res.writeHead(200, {
      "content-type": RECORDS_MEDIA_TYPES[format],
      "x-chain-length": String(peer.chain.length),
    });
    res.end(Buffer.concat(records));
    return true;
  };
  return started(peer);
}

/** A record at `index` of the page from `from` replaced by `block`'s. */
function replace(format: Format, index: number, block: Block) {
  return (records: Buffer[], from: number) => {
    if (index >= from && index < from + records.length) {
      records[index - from] = codecFor(format).encodeRecord(block);
    }
  };
}

for (const format of ["binary", "json"] as const) {
  describe(`chain sync through ${format} record pages`, () => {
    it("asks for the chain's own records first and adopts the pages as they come", async () => {
      const peer = await recordsPeer(LONG, format);
      const n = node(LONG.slice(0, 300), { neighbours: [peer.address] });
      await n.network.syncNow();
      assert.equal(n.chain.length, 2500);
      assert.deepEqual(n.chain.blocks, LONG);
      const pages = peer.seen("/blocks");
      assert.deepEqual(
        pages.map((r) => Number(r.query.get("from"))),
        [299, 1299, 2299],
      );
      // This node holds JSON Lines: it asks for them first, binary next, JSON last.
      assert.match(
        pages[0]?.accept ?? "",
        /^application\/vnd\.blockchain\.jsonl, application\/vnd\.blockchain\.records;q=0\.9, application\/json;q=0\.5$/,
      );
      assert.deepEqual(n.network.neighbours, [peer.address]);
    });

    it("bans a peer whose page holds an invalid block, before its branch is long, and adopts none of that page", async () => {
      // Their branch will be longer than ours, but block 150 (on its second page) is invalid.
      const theirs = branch(LONG, 10, 1500, "b");
      const bad = { ...(theirs[150] as Block), proof: ((theirs[150] as Block).proof ?? 0) + 1 };
      const peer = await recordsPeer(theirs, format, replace(format, 150, bad));
      const n = node(LONG.slice(0, 1000), { neighbours: [peer.address], pageLimit: 100 });
      await n.network.syncNow();
      assert.equal(n.chain.length, 1000);
      assert.equal(n.chain.tipHash, hashBlock(LONG[999] as Block));
      assert.deepEqual(n.network.neighbours, []);
      await n.network.syncNow();
      assert.equal(peer.seen("/status").length, 1, "a banned peer is not asked again");
    });

    it("refuses a block from the future without banning the peer", async () => {
      const ahead = LONG[200] as Block;
      const future = { ...ahead, timestamp: Date.now() + MAX_FUTURE_DRIFT_MS + 60_000 };
      const peer = await recordsPeer(LONG.slice(0, 400), format, replace(format, 200, future));
      const n = node(LONG.slice(0, 100), { neighbours: [peer.address] });
      await n.network.syncNow();
      assert.equal(n.chain.length, 100);
      assert.deepEqual(n.network.neighbours, [peer.address]);
    });
  });
}

describe("page sizes", () => {
  it("pages double while they come quickly and halve before they would time out", async () => {
    const chain = longChain(12_000);
    const peer = await recordsPeer(chain, "json");
    const serve = peer.override;
    // A slow link: 0.3 ms a block, so that a page of 8,000 would take 2.4 s, past the time-out.
    peer.override = async (req, res) => {
      if (req.path === "/blocks") {
        await new Promise((resolve) => setTimeout(resolve, Number(req.query.get("limit")) * 0.3));
      }
      return (await serve?.(req, res)) ?? false;
    };
    const n = node(chain.slice(0, 1), {
      neighbours: [peer.address],
      pageLimit: 8000,
      requestTimeoutMs: 2000,
    });
    await n.network.syncNow();
    assert.equal(n.chain.length, 12_000);
    const limits = peer.seen("/blocks").map((r) => Number(r.query.get("limit")));
    assert.deepEqual(limits.slice(0, 2), [4096, 2048], `limits ${limits.join(",")}`);
    assert.ok(Math.max(...limits) <= 4096, `limits ${limits.join(",")}`);
    assert.deepEqual(n.network.neighbours, [peer.address]);
  });

  it("the next page size: twice while quick, half when slow, up to the limit", () => {
    const opts = { pageLimit: 50_000, requestTimeoutMs: 5000 };
    assert.equal(nextPageSize(4096, 100, opts), 8192);
    assert.equal(nextPageSize(40_000, 100, opts), 50_000);
    assert.equal(nextPageSize(8192, 2000, opts), 8192);
    assert.equal(nextPageSize(8192, 2600, opts), 4096);
    assert.equal(nextPageSize(1, 4000, opts), 1);
  });
});

describe("damaged and mismatched record pages", () => {
  it("bans a peer whose binary page holds a damaged record (its CRC fails)", async () => {
    const peer = await recordsPeer(LONG, "binary", (records, from) => {
      const record = records[500 - from];
      if (record) (record[20] as number) ^= 0x01;
    });
    const n = node(LONG.slice(0, 300), { neighbours: [peer.address] });
    await n.network.syncNow();
    assert.equal(n.chain.length, 300);
    assert.deepEqual(n.network.neighbours, []);
  });

  it("bans a peer whose JSON Lines page holds a line that is not the canonical encoding", async () => {
    const peer = await recordsPeer(LONG, "json", (records, from) => {
      const block = LONG[500] as Block;
      records[500 - from] = Buffer.from(`${JSON.stringify(block, null, 1).replace(/\n/g, "")}\n`);
    });
    const n = node(LONG.slice(0, 300), { neighbours: [peer.address] });
    await n.network.syncNow();
    assert.equal(n.chain.length, 300);
    assert.deepEqual(n.network.neighbours, []);
  });

  it("goes again at once from the peer's new status, without a ban, when the peer's next page is of another branch", async () => {
    const other = branch(LONG, 1200, 1400, "c");
    let pages = 0;
    const peer = await recordsPeer(LONG, "binary", () => {
      // After the first page the peer has switched to another branch forking below it.
      if (++pages === 1) peer.chain = other;
    });
    const n = node(LONG.slice(0, 300), { neighbours: [peer.address] });
    await n.network.syncNow();
    // The first page (to 1299) was adopted, the second did not follow it: the sync
    // went again from the peer's new status in the same call, not at the next round.
    assert.equal(n.chain.tipHash, hashBlock(other[other.length - 1] as Block));
    assert.equal(n.chain.length, other.length);
    assert.deepEqual(n.network.neighbours, [peer.address]);
    assert.equal(peer.seen("/status").length, 2, "asked for its status once more");
  });

  it("an announce that comes while a sync with the peer runs makes that sync go again when it ends", async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let heldOnce = false;
    const peer = await recordsPeer(LONG.slice(0, 1000), "json");
    const answer = peer.override;
    peer.override = async (req, res) => {
      // The first page waits until the peer has grown and announced it.
      if (req.path === "/blocks" && !heldOnce) {
        heldOnce = true;
        await held;
      }
      return answer ? answer(req, res) : false;
    };
    const n = node(LONG.slice(0, 10), { neighbours: [peer.address] });
    n.network.syncFrom(peer.address);
    await waitFor(() => heldOnce, { what: "the sync's first page asked for" });
    peer.chain = LONG.slice(0, 1500);
    // Its announce of block 1499: a sync with it runs already, so this one is not started.
    n.network.syncFrom(peer.address);
    release();
    // No round runs in this test (every job's interval is long): only the sync going again gets 1500.
    await waitFor(() => n.chain.length === 1500, {
      what: "the node to hold the peer's grown chain",
      timeoutMs: 10_000,
    });
    assert.equal(n.chain.tipHash, hashBlock(LONG[1499] as Block));
  });
});
