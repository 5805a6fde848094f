import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import { http, startTestMiner, type TestMiner } from "../helpers/start-miner.js";

let node: TestMiner;
// biome-ignore lint/suspicious/noExplicitAny: the document is checked by the validator, then read
let doc: any;
before(async () => {
  node = await startTestMiner({ mine: false });
  const { status, body } = await http(`${node.url}/openapi.json`);
  assert.equal(status, 200);
  doc = body;
});
after(async () => node.stop());

const METHODS = ["get", "put", "post", "delete", "patch"];

/** Every operation of the document as [METHOD path, operation]. */
// biome-ignore lint/suspicious/noExplicitAny: operations of the document under test
function operations(): [string, any][] {
  const out: [string, unknown][] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, unknown>>))
    for (const method of METHODS)
      if (item[method]) out.push([`${method.toUpperCase()} ${path}`, item[method]]);
  return out;
}

test("GET /openapi.json is valid by the OpenAPI 3.1 schema, its references resolved", async () => {
  assert.equal(doc.openapi, "3.1.0");
  const validator = new Validator();
  const result = await validator.validate(structuredClone(doc));
  assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
  assert.equal(validator.version, "3.1");
  // Every $ref points at a schema the document holds (both calls change what they are given).
  const resolved = validator.resolveRefs({ specification: structuredClone(doc) });
  assert.ok(resolved, "the references resolve");
});

test("every operation has a unique operationId and a tag the document declares", () => {
  const declared = new Set((doc.tags as { name: string }[]).map((t) => t.name));
  const ids = new Map<string, string>();
  for (const [name, op] of operations()) {
    assert.match(op.operationId ?? "", /^[a-z][A-Za-z]+$/, `${name} has an operationId`);
    assert.equal(ids.get(op.operationId), undefined, `${name}: ${op.operationId} is unique`);
    ids.set(op.operationId, name);
    assert.ok(op.tags?.length > 0, `${name} has a tag`);
    for (const tag of op.tags) assert.ok(declared.has(tag), `${name}: tag ${tag} is declared`);
  }
});

test("the document lists this node in servers", () => {
  const urls = (doc.servers as { url: string }[]).map((s) => s.url);
  assert.ok(urls.includes("/"));
  assert.ok(urls.includes(`http://127.0.0.1:${node.miner.port}`), urls.join(", "));
});

test("every endpoint of the SPEC is documented, and nothing internal", () => {
  const names = operations()
    .map(([name]) => name)
    .sort();
  assert.deepEqual(names, [
    "GET /",
    "GET /blocks",
    "GET /blocks/seen",
    "GET /blocks/{index}",
    "GET /chain",
    "GET /data",
    "GET /data/{id}",
    "GET /events",
    "GET /metrics",
    "GET /neighbours",
    "GET /openapi.json",
    "GET /peers",
    "GET /status",
    "POST /add",
    "POST /blocks",
    "POST /data",
    "PUT /add",
  ]);
  assert.deepEqual(Object.keys(doc.components.schemas).sort(), ["Block", "Data", "Error"]);
  const block = doc.paths["/blocks/{index}"].get.responses["200"].content["application/json"];
  assert.deepEqual(block.schema, { $ref: "#/components/schemas/Block" });
  assert.deepEqual(doc.components.schemas.Block.properties.data, {
    $ref: "#/components/schemas/Data",
  });
  assert.ok(doc.paths["/events"].get.responses["200"].content["text/event-stream"]);
});
