import type { Block } from "./block.js";

/** The genesis block, the same on every node so that every node shares one network. */
export const GENESIS_BLOCK: Readonly<Block> = Object.freeze({
  index: 0,
  timestamp: 0,
  data: Object.freeze({
    id: "00000000000000000000000000000000",
    message: "This is the workload of the very first Block in this chain!",
  }),
  previous_hash: null,
  proof: null,
});

export const GENESIS_HASH = "7f9a64a5bd52ca142f713283260c323ec05bcd23a31aa3022de71e95137a9c3e";

/** A fresh, mutable copy of the genesis block. */
export function genesisBlock(): Block {
  return { ...GENESIS_BLOCK, data: { ...GENESIS_BLOCK.data } };
}
