import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import {
  answerProof,
  checkAnswerProof,
  isRefusal,
  NonceWindow,
  PeerProofCheck,
  signRequest,
} from "../../src/config/peer-proof.js";

const KEY = randomBytes(32);
const REQ = { method: "POST", url: "/blocks", nodeId: "ab".repeat(8) };
const BODY = JSON.stringify({ blocks: [] });

describe("peer proof of the network key", () => {
  it("a request signed with the key passes once", () => {
    const check = new PeerProofCheck(KEY);
    const { header, nonce } = signRequest(KEY, REQ, BODY);
    const outcome = check.check(REQ, header);
    assert.ok(!isRefusal(outcome));
    assert.equal(outcome.nonce, nonce);
  });

  it("the same proof a second time is a replay", () => {
    const check = new PeerProofCheck(KEY);
    const { header } = signRequest(KEY, REQ, BODY);
    check.check(REQ, header);
    const again = check.check(REQ, header);
    assert.ok(isRefusal(again));
    assert.equal(again.kind, "replay");
    assert.match(again.message, /replayed/);
  });

  it("no proof, another key, another path, method or sender are refused, naming the network key", () => {
    const check = new PeerProofCheck(KEY);
    const missing = check.check(REQ, undefined);
    assert.ok(isRefusal(missing) && missing.kind === "missing");
    assert.match(missing.message, /network key/);
    const other = signRequest(randomBytes(32), REQ, BODY).header;
    const wrong = check.check(REQ, other);
    assert.ok(isRefusal(wrong) && wrong.kind === "wrong");
    assert.match(wrong.message, /wrong network key/);
    for (const changed of [
      { ...REQ, url: "/data" },
      { ...REQ, method: "GET" },
      { ...REQ, nodeId: "cd".repeat(8) },
    ]) {
      const outcome = check.check(changed, signRequest(KEY, REQ, BODY).header);
      assert.ok(isRefusal(outcome) && outcome.kind === "wrong", JSON.stringify(changed));
    }
    const malformed = check.check(REQ, "v1 12 zz");
    assert.ok(isRefusal(malformed) && malformed.kind === "wrong");
  });

  it("a clock off by more than the window is refused, naming the skew", () => {
    let now = 1_000_000_000;
    const check = new PeerProofCheck(KEY, { windowMs: 60_000, now: () => now });
    const { header } = signRequest(KEY, REQ, BODY, now - 61_000);
    const outcome = check.check(REQ, header);
    assert.ok(isRefusal(outcome) && outcome.kind === "skew");
    assert.match(outcome.message, /clock skew: the request's time is 61 s behind/);
    now += 0;
    const ahead = check.check(REQ, signRequest(KEY, REQ, BODY, now + 120_000).header);
    assert.ok(isRefusal(ahead) && ahead.kind === "skew");
    assert.match(ahead.message, /120 s ahead of/);
  });

  it("the answer's proof binds the request's nonce", () => {
    const { nonce } = signRequest(KEY, REQ, BODY);
    assert.ok(checkAnswerProof(KEY, nonce, answerProof(KEY, nonce)));
    assert.ok(!checkAnswerProof(KEY, nonce, answerProof(randomBytes(32), nonce)));
    assert.ok(!checkAnswerProof(KEY, nonce, answerProof(KEY, "00".repeat(16))));
    assert.ok(!checkAnswerProof(KEY, nonce, undefined));
  });
});

describe("nonce window", () => {
  it("remembers a nonce for two windows at least, then forgets it", () => {
    let now = 0;
    const nonces = new NonceWindow(1000, 10, () => now);
    assert.equal(nonces.admit("a"), true);
    now = 1999;
    assert.equal(nonces.admit("a"), false);
    now = 2500;
    assert.equal(nonces.admit("a"), false);
    now = 10_000;
    assert.equal(nonces.admit("a"), true);
  });

  it("is bounded: beyond its size in one window it refuses rather than grows", () => {
    const nonces = new NonceWindow(1000, 3, () => 0);
    for (const n of ["a", "b", "c"]) assert.equal(nonces.admit(n), true);
    assert.equal(nonces.admit("d"), null);
  });
});
