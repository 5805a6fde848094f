import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/**
 * The loader of the project's N-API addon (native/*.c, built by node-gyp at
 * `npm ci` into build/Release): the mining core and the trusted start's chain
 * index. It is optional: where it was not built or does not load, each user
 * runs its TypeScript path. BLOCKCHAIN_NATIVE=0 turns it off.
 */

/** The environment variable that turns the addon off ("0") or picks the mining engine. */
export const NATIVE_ENV = "BLOCKCHAIN_NATIVE";

const OFF = ["0", "off", "false", "no", "js"];

/** Whether a BLOCKCHAIN_NATIVE value asks for the TypeScript paths. */
export function nativeTurnedOff(setting: string | undefined): boolean {
  return OFF.includes((setting ?? "").trim().toLowerCase());
}

const ADDON_PATH = fileURLToPath(
  new URL("../../../build/Release/blockchain_native.node", import.meta.url),
);

let addon: Record<string, unknown> | Error | undefined;

/** The addon's exports, loaded once per thread; an Error saying why when it cannot be. */
export function loadNativeAddon(): Record<string, unknown> | Error {
  if (addon !== undefined) return addon;
  if (!existsSync(ADDON_PATH)) {
    addon = new Error(`${ADDON_PATH} is not built (npm run build:native)`);
    return addon;
  }
  try {
    addon = createRequire(import.meta.url)(ADDON_PATH) as Record<string, unknown>;
  } catch (err) {
    addon = err instanceof Error ? err : new Error(String(err));
  }
  return addon;
}
