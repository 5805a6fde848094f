import assert from "node:assert/strict";
import { homedir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parseNeighbour } from "../../src/net/neighbour-forms.js";
import { Miner } from "../../src/node/miner.js";
import { expandHome } from "../../src/storage/file/home-path.js";

// Parsing only: nothing here is contacted, whatever the names.

test("a neighbour given as a host alone takes the original's port 12345", () => {
  assert.equal(parseNeighbour("miner2"), "miner2:12345");
  assert.equal(parseNeighbour("Miner2.example.org"), "miner2.example.org:12345");
  assert.equal(parseNeighbour("127.0.0.7"), "127.0.0.7:12345");
  assert.equal(parseNeighbour("localhost"), "127.0.0.1:12345");
  assert.equal(parseNeighbour("[::1]"), "[::1]:12345");
});

test("an http:// prefix (and a trailing slash) is stripped", () => {
  assert.equal(parseNeighbour("http://localhost:23456"), "127.0.0.1:23456");
  assert.equal(parseNeighbour("HTTP://miner1:8888/"), "miner1:8888");
  assert.equal(parseNeighbour("http://miner1"), "miner1:12345");
  assert.equal(parseNeighbour("http://[::1]:4000"), "[::1]:4000");
});

test("0.0.0.0 means this machine: 127.0.0.1", () => {
  assert.equal(parseNeighbour("0.0.0.0:4000"), "127.0.0.1:4000");
  assert.equal(parseNeighbour("0.0.0.0"), "127.0.0.1:12345");
  assert.equal(parseNeighbour("http://0.0.0.0:23456"), "127.0.0.1:23456");
});

test("host:port forms are kept as before", () => {
  assert.equal(parseNeighbour("127.0.0.1:23456"), "127.0.0.1:23456");
  assert.equal(parseNeighbour("miner1:8888"), "miner1:8888");
});

test("a TLS group's https:// neighbours become host:port (the node's TLS decides the scheme)", () => {
  assert.equal(parseNeighbour("https://miner1:443"), "miner1:443");
  assert.equal(parseNeighbour("HTTPS://10.0.0.2:12345/"), "10.0.0.2:12345");
});

test("forms that are no neighbour still say what is wrong", () => {
  assert.throws(() => parseNeighbour("http://miner1:8888/chain"), /without a scheme or a path/);
  assert.throws(() => parseNeighbour("miner 1"), /neither an IP address nor a DNS name/);
  assert.throws(() => parseNeighbour("miner1:99999"), /port 99999/);
  assert.throws(() => parseNeighbour("::1"), /must be bracketed/);
});

test("the Miner takes neighbours in the original's forms, and ~ in its chain path", () => {
  const miner = new Miner({
    pathToChain: "~/chains/chain.json",
    neighbours: ["miner2", "http://localhost:23456", "0.0.0.0:4000"],
  });
  assert.deepEqual(miner.neighbours, ["miner2:12345", "127.0.0.1:23456", "127.0.0.1:4000"]);
  assert.throws(
    () => new Miner({ pathToChain: "x.json", neighbours: ["https://a:99999"] }),
    /neighbours/,
  );
});

test("~ at the start of a path is the user's home; elsewhere it is a character", () => {
  assert.equal(expandHome("~"), homedir());
  assert.equal(expandHome("~/chains/chain.json"), join(homedir(), "chains", "chain.json"));
  assert.equal(expandHome("chains/~/chain.json"), "chains/~/chain.json");
  assert.equal(expandHome("~chains"), "~chains");
});
