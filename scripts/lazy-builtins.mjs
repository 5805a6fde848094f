// An esbuild plugin for scripts/build-cli.mjs: the named Node built-in modules
// are loaded when a property of theirs is first read, not where a module of
// the bundle requires them. A dependency's top level often requires modules
// that a command never uses (fastify: node:http2; commander:
// node:child_process, for subcommands run as programs), and loading a built-in
// module costs the start its compilation (node:http2 2.3 ms, node:https with
// node:tls 1.4 ms, measured in docs/performance.md, Start-up).
//
// Each such require gets an object of getters, one for every property the
// module has on the Node that builds, each loading the real module on its first
// read. Only modules that are plain objects qualify: one that is a function
// (node:assert) or an object with methods of its own class (node:cluster, an
// EventEmitter, whose methods need it as `this`) is refused at build time.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const NAMESPACE = "lazy-builtin";

/** The module that stands in for `node:<name>`. */
function standIn(name) {
  const real = require(`node:${name}`);
  if (
    typeof real !== "object" ||
    real === null ||
    Object.getPrototypeOf(real) !== Object.prototype
  ) {
    throw new Error(`node:${name} is not a plain object; it cannot be loaded lazily`);
  }
  const getters = Object.getOwnPropertyNames(real)
    .map(
      (key) =>
        `  ${JSON.stringify(key)}: { get: () => load()[${JSON.stringify(key)}], enumerable: true },`,
    )
    .join("\n");
  return `let loaded;
const load = () => (loaded ??= require("node:${name}"));
module.exports = Object.defineProperties({}, {
${getters}
});
`;
}

/** The plugin: `names` like ["http2", "dns"]. */
export function lazyBuiltins(names) {
  for (const name of names) standIn(name); // Refuses a module that does not qualify, at once.
  const filter = new RegExp(`^(node:)?(${names.join("|")})$`);
  return {
    name: "lazy-builtins",
    setup(build) {
      build.onResolve({ filter }, (args) =>
        // The stand-in's own require is the real module.
        args.namespace === NAMESPACE
          ? { path: args.path, external: true }
          : { path: args.path.replace(/^node:/, ""), namespace: NAMESPACE },
      );
      build.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => ({
        contents: standIn(args.path),
        loader: "js",
      }));
    },
  };
}
