import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RECORDS_MEDIA_TYPES } from "../../src/config/config.js";
import type { Block } from "../../src/core/block.js";
import { encodeBlock } from "../../src/core/encoding.js";
import { hashBlock } from "../../src/core/hash.js";
import { MAX_FUTURE_DRIFT_MS } from "../../src/core/validate.js";
import { nextPageSize } from "../../src/net/chain-sync.js";
import { codecFor } from "../../src/storage/codecs/chain-format.js";
import { binaryRecord } from "../helpers/binary-record.js";
import { mineNext } from "../helpers/tiny-chain.js";
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

  it("does not punish a peer when our chain moves below its branch during the sync (a reorg by another peer's blocks)", async () => {
    // Our other branch forks at 999 and holds, at 1001, the id the peer's block 1500 holds:
    // checked against that chain, the peer's page from 1299 would repeat an earlier id.
    const ours = LONG.slice(0, 1000);
    for (let index = 1000; index < 1400; index++) {
      const parent = ours[index - 1] as Block;
      const block = mineNext(parent, 1, `b ${index}`, parent.timestamp + 3);
      block.data.id =
        index === 1001 ? (LONG[1500] as Block).data.id : `b${index.toString(16).padStart(31, "0")}`;
      ours.push(block);
    }
    let n: ReturnType<typeof node> | null = null;
    let pageRequests = 0;
    const peer = await recordsPeer(LONG, "binary");
    const answer = peer.override;
    peer.override = async (req, res) => {
      if (req.path === "/blocks" && ++pageRequests === 2) {
        // The first page is adopted; then, before the second comes, our chain moves to the
        // other branch (longer than what we hold now), below the base of the sync's branch.
        const self = n as ReturnType<typeof node>;
        await waitFor(() => self.chain.tipHash === hashBlock(LONG[1298] as Block), {
          what: "the first page adopted",
        });
        assert.equal(self.chain.offer(ours.slice(1000), null).status, "accepted");
      }
      return answer ? answer(req, res) : false;
    };
    n = node(LONG.slice(0, 300), { neighbours: [peer.address] });
    await n.network.syncNow();
    assert.deepEqual(n.network.neighbours, [peer.address], "the peer is not banned");
    // The sync went again at once from the peer's status and took its longer chain.
    assert.equal(n.chain.length, LONG.length);
    assert.equal(n.chain.tipHash, hashBlock(LONG[LONG.length - 1] as Block));
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

/** An unsigned LEB128 varint of `value`, `extra` bytes longer than it must be (0x80 ... 0x00). */
function varint(value: number, extra = 0): number[] {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  for (let i = 0; i < extra; i++) {
    out[out.length - 1] = (out[out.length - 1] as number) | 0x80;
    out.push(0);
  }
  return out;
}

/** A binary record of a (non-genesis) block, written by hand: a longer proof varint, or its message in UTF-16. */
function handBinaryRecord(block: Block, form: { proofExtra?: number; utf16?: boolean }): Buffer {
  const message = Buffer.from(block.data.message, form.utf16 ? "utf16le" : "utf8");
  const payload = Buffer.concat([
    Buffer.from([form.utf16 ? 0x04 : 0x00]),
    Buffer.from(varint(block.index)),
    Buffer.from(varint(block.timestamp)),
    Buffer.from(block.data.id, "hex"),
    Buffer.from(block.previous_hash as string, "hex"),
    Buffer.from(varint(block.proof as number, form.proofExtra ?? 0)),
    message,
  ]);
  return binaryRecord(payload);
}

/** A JSON line of `block` with its canonical text edited by `edit`. */
function editedLine(block: Block, edit: (canonical: string) => string): Buffer {
  return Buffer.from(`${edit(encodeBlock(block))}\n`);
}

/**
 * Records holding valid blocks, each in a form that is not the exact encoding
 * of its block: the faults an outside fuzz sent in each format.
 */
const NOT_EXACT: { format: Format; what: string; record: (block: Block) => Buffer }[] = [
  {
    format: "json",
    what: "an unknown field",
    record: (b) => editedLine(b, (line) => `${line.slice(0, -1)},"extra":1}`),
  },
  {
    format: "json",
    what: "spaces",
    record: (b) => editedLine(b, (line) => line.replace(/,/g, ", ")),
  },
  {
    format: "json",
    what: "a duplicate key",
    record: (b) => editedLine(b, (line) => `{"index":${b.index},${line.slice(1)}`),
  },
  {
    format: "json",
    what: "a number written 11.0",
    record: (b) =>
      editedLine(b, (line) => line.replace(`"proof":${b.proof}`, `"proof":${b.proof}.0`)),
  },
  {
    format: "binary",
    what: "a varint longer than it must be",
    record: (b) => handBinaryRecord(b, { proofExtra: 1 }),
  },
  {
    format: "binary",
    what: "a UTF-16 flag on a plain message",
    record: (b) => handBinaryRecord(b, { utf16: true }),
  },
];

describe("a page in the node's other format: its exact bytes are checked in the sender's format", () => {
  it("each such record, decoded and encoded again in the other format, gives the exact record there", () => {
    // Which is why a page must not be transcoded before it is checked: the fault would vanish.
    const block = LONG[500] as Block;
    assert.ok(handBinaryRecord(block, {}).equals(codecFor("binary").encodeRecord(block)));
    for (const { format, what, record } of NOT_EXACT) {
      const decoded = codecFor(format).decodeRecord(record(block));
      assert.ok(typeof decoded !== "string", `${what}: ${decoded}`);
      const other = codecFor(format === "json" ? "binary" : "json");
      assert.ok(other.encodeRecord(decoded).equals(other.encodeRecord(block)), what);
    }
  });

  for (const nodeFormat of ["json", "binary"] as const) {
    const other: Format = nodeFormat === "json" ? "binary" : "json";

    it(`a ${nodeFormat} node adopts an honest page of ${other} records`, async () => {
      const peer = await recordsPeer(LONG, other);
      const n = node(LONG.slice(0, 300), { neighbours: [peer.address] }, 1000, nodeFormat);
      await n.network.syncNow();
      assert.equal(n.chain.format, nodeFormat);
      assert.deepEqual(n.chain.blocks, LONG);
      assert.ok(
        n.chain
          .recordsFrom(0)
          .bytes.equals(Buffer.concat(LONG.map((b) => codecFor(nodeFormat).encodeRecord(b)))),
        "the records the chain holds are its own format's",
      );
      assert.deepEqual(n.network.neighbours, [peer.address]);
    });

    for (const { format, what, record } of NOT_EXACT) {
      const where = format === nodeFormat ? "its own format" : "the other format";
      it(`a ${nodeFormat} node bans a peer whose ${format} page holds ${what} (${where})`, async () => {
        const peer = await recordsPeer(LONG, format, (records, from) => {
          if (500 >= from && 500 < from + records.length)
            records[500 - from] = record(LONG[500] as Block);
        });
        const n = node(LONG.slice(0, 300), { neighbours: [peer.address] }, 1000, nodeFormat);
        const reasons: string[] = [];
        const punish = n.network.punish.bind(n.network);
        n.network.punish = (address, reason) => {
          reasons.push(reason);
          punish(address, reason);
        };
        await n.network.syncNow();
        assert.equal(n.chain.length, 300, "no block of the page adopted");
        assert.deepEqual(n.network.neighbours, [], "the peer is banned");
        assert.equal(reasons.length, 1, reasons.join("; "));
        assert.match(reasons[0] as string, /^sent an invalid block 500: /);
      });
    }
  }
});
