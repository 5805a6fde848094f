import { type TSchema, Type } from "@sinclair/typebox";

/** Wire schemas of the API (the SPEC's JSON shapes); they also make the OpenAPI document. */
export const DataSchema = Type.Object(
  { id: Type.String({ pattern: "^[0-9a-f]{32}$" }), message: Type.String({ minLength: 1 }) },
  { $id: "Data", additionalProperties: false },
);

export const BlockSchema = Type.Object(
  {
    index: Type.Integer({ minimum: 0 }),
    timestamp: Type.Integer({ minimum: 0, description: "ms since the Unix epoch" }),
    data: Type.Ref("Data"),
    previous_hash: Type.Union([Type.String({ pattern: "^[0-9a-f]{64}$" }), Type.Null()]),
    proof: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  },
  { $id: "Block", additionalProperties: false },
);

export const ErrorSchema = Type.Object(
  { message: Type.String(), more_information: Type.Optional(Type.String()) },
  { $id: "Error" },
);

export const AddedSchema = Type.Object({
  message: Type.Literal("Message added!"),
  more_information: Type.Literal("Will be mined in a future block."),
  id: Type.String(),
});

export const StatusSchema = Type.Object({
  length: Type.Integer(),
  tip: Type.String(),
  difficulty: Type.Integer(),
  proof_rule: Type.Union([Type.Literal("original"), Type.Literal("content")], {
    description: "the proof-of-work rule the node follows: the original's, or content-bound",
  }),
  node_id: Type.String({
    description:
      "a random id this node chose for itself (hex); peers use it to recognise the node behind an address",
  }),
  neighbours: Type.Array(Type.String()),
  pending: Type.Integer(),
  mining: Type.Boolean(),
  hashrate: Type.Number({
    description: "hashes per second: of the running proof search (live), else of the last one",
  }),
  miner_engine: Type.Union(
    [Type.Literal("native-sha-ni"), Type.Literal("native-portable"), Type.Literal("js")],
    { description: "which code mines: the native core with SHA-NI, its portable C, or TypeScript" },
  ),
  version: Type.String(),
  address: Type.String({ description: "the advertised host:port" }),
  storage: Type.Object(
    {
      journal: Type.Union([Type.Literal("ok"), Type.Literal("failing")]),
      backup: Type.Union([Type.Literal("ok"), Type.Literal("failing")]),
      last_backup: Type.Union([Type.Integer(), Type.Null()], {
        description: "when the chain file was last saved whole (ms since the epoch)",
      }),
      error: Type.Union([Type.String(), Type.Null()], {
        description: "the latest journal or backup failure, while one fails",
      }),
    },
    { description: "whether the pending journal and the chain backups are written" },
  ),
});

export const DataLookupSchema = Type.Object({
  id: Type.String(),
  message: Type.String(),
  status: Type.Union([Type.Literal("pending"), Type.Literal("confirmed")]),
  index: Type.Optional(Type.Integer()),
  confirmations: Type.Optional(Type.Integer()),
});

/** Schemas shared by reference ($ref) across routes. */
export const SHARED_SCHEMAS: TSchema[] = [DataSchema, BlockSchema, ErrorSchema];

/** The error answers every route may give. */
export const ERROR_RESPONSES = {
  400: Type.Ref("Error"),
  413: Type.Ref("Error"),
  429: Type.Ref("Error"),
  503: Type.Ref("Error"),
  507: Type.Ref("Error"),
};

export const SeenBlockSchema = Type.Object(
  {
    hash: Type.String({ pattern: "^[0-9a-f]{64}$" }),
    previous_hash: Type.Union([Type.String({ pattern: "^[0-9a-f]{64}$" }), Type.Null()]),
    index: Type.Integer({ minimum: 0 }),
    timestamp: Type.Integer({ minimum: 0, description: "the block's own timestamp (ms)" }),
    first_seen: Type.Integer({ description: "when this node first saw it (ms of its clock)" }),
    from: Type.String({ description: '"self" (mined here) or the sender\'s host:port' }),
    on_main: Type.Boolean({ description: "whether the block is on this node's chain now" }),
  },
  { additionalProperties: false },
);

export const PeerSchema = Type.Object(
  {
    address: Type.String({ description: "host:port" }),
    node_id: Type.Union([Type.String(), Type.Null()], {
      description: "the id its /status gave this node's own request, null before one",
    }),
    state: Type.Union([
      Type.Literal("connected"),
      Type.Literal("failing"),
      Type.Literal("set-aside"),
      Type.Literal("banned"),
    ]),
    rtt_ms: Type.Union([Type.Number({ minimum: 0 }), Type.Null()], {
      description: "round trip of the last request to it that got an answer",
    }),
    failures: Type.Integer({ minimum: 0, description: "failures in a row" }),
    last_ok: Type.Union([Type.Integer(), Type.Null()], {
      description: "when it last answered (ms since the epoch)",
    }),
  },
  { additionalProperties: false },
);
