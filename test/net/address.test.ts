import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AddressError, normalizeAddress, tryNormalizeAddress } from "../../src/net/address.js";

describe("neighbour addresses", () => {
  it("keeps an IPv4 host:port as it is", () => {
    assert.equal(normalizeAddress("127.0.0.1:12345"), "127.0.0.1:12345");
    assert.equal(normalizeAddress(" 127.0.0.2:80 "), "127.0.0.2:80");
  });

  it("writes localhost as 127.0.0.1", () => {
    assert.equal(normalizeAddress("localhost:5000"), "127.0.0.1:5000");
    assert.equal(normalizeAddress("LocalHost:5000"), "127.0.0.1:5000");
  });

  it("accepts bracketed IPv6 and writes it compressed", () => {
    assert.equal(normalizeAddress("[::1]:8080"), "[::1]:8080");
    assert.equal(normalizeAddress("[0:0:0:0:0:0:0:1]:8080"), "[::1]:8080");
    assert.equal(normalizeAddress("[FE80::A]:1"), "[fe80::a]:1");
  });

  it("accepts DNS names, lowercased", () => {
    assert.equal(normalizeAddress("Miner-1.Example.ORG:12345"), "miner-1.example.org:12345");
    assert.equal(normalizeAddress("miner_2:12345"), "miner_2:12345");
  });

  it("drops a leading zero of the port", () => {
    assert.equal(normalizeAddress("127.0.0.1:08080"), "127.0.0.1:8080");
  });

  const junk = [
    "",
    "127.0.0.1",
    "127.0.0.1:",
    "127.0.0.1:0",
    "127.0.0.1:65536",
    "127.0.0.1:-1",
    "127.0.0.1:port",
    "127.0.0.1:1e3",
    "::1:8080",
    "[::1]",
    "[::1]8080",
    "[127.0.0.1]:80",
    "[nonsense]:80",
    "http://127.0.0.1:80",
    "127.0.0.1:80/path",
    "127.1:80",
    "300.0.0.1:80",
    "-bad-.example:80",
    "exa mple:80",
    "a..b:80",
    ":80",
    `${"a".repeat(64)}.example:80`,
  ];
  for (const input of junk) {
    it(`refuses ${JSON.stringify(input)} with a clear error`, () => {
      assert.throws(
        () => normalizeAddress(input),
        (err: unknown) => {
          assert.ok(err instanceof AddressError);
          assert.match(err.message, /is not a host:port address: .+/);
          return true;
        },
      );
    });
  }

  it("tryNormalizeAddress gives null for junk and non-strings", () => {
    assert.equal(tryNormalizeAddress("127.0.0.1:99999"), null);
    assert.equal(tryNormalizeAddress(42), null);
    assert.equal(tryNormalizeAddress({ host: "127.0.0.1" }), null);
    assert.equal(tryNormalizeAddress("localhost:1"), "127.0.0.1:1");
  });
});
