export * from "./block.js";
export * from "./data.js";
export * from "./encoding.js";
export * from "./fork-choice.js";
export * from "./genesis.js";
export * from "./hash.js";
export * from "./pow.js";
export * from "./validate.js";
