import { type Static, Type } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";

// The shapes of peers' answers. They are checked before any field is used;
// the blocks' deeper rules (links, proofs, ids) are the chain's to check.

const Hash = Type.String({ pattern: "^[0-9a-f]{64}$" });
const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

export const DataSchema = Type.Object(
  { id: Type.String({ pattern: "^[0-9a-f]{32}$" }), message: Type.String({ minLength: 1 }) },
  { additionalProperties: false },
);

export const BlockSchema = Type.Object(
  {
    index: Count,
    timestamp: Count,
    data: DataSchema,
    previous_hash: Type.Union([Hash, Type.Null()]),
    proof: Type.Union([Count, Type.Null()]),
  },
  { additionalProperties: false },
);

/** GET /status: only the fields sync needs are required; newer nodes may add fields. */
export const StatusSchema = Type.Object({
  length: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  tip: Hash,
  /** Absent in nodes older than the rule's choice: they follow the original's. */
  proof_rule: Type.Optional(Type.String({ maxLength: 64 })),
  /** The peer's own id (NODE_ID_PATTERN); a peer without one cannot be recognised behind an alias. */
  node_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
});

/** GET /neighbours: entries are checked one by one later, so junk in the list is skipped, not fatal. */
export const NeighboursSchema = Type.Object({
  neighbours: Type.Array(Type.Unknown(), { maxItems: 1000 }),
});

/** GET /blocks?from&limit. */
export const BlocksPageSchema = Type.Object({
  blocks: Type.Array(BlockSchema, { maxItems: 10_000 }),
  length: Count,
});

/** GET /data. */
export const PendingListSchema = Type.Array(DataSchema, { maxItems: 1_000_000 });

export type PeerStatus = Static<typeof StatusSchema>;
export type BlocksPage = Static<typeof BlocksPageSchema>;

export const checkStatus = TypeCompiler.Compile(StatusSchema);
export const checkNeighbours = TypeCompiler.Compile(NeighboursSchema);
export const checkBlocksPage = TypeCompiler.Compile(BlocksPageSchema);
export const checkPendingList = TypeCompiler.Compile(PendingListSchema);
