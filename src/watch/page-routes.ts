import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply } from "fastify";

/** Where the built page lives: dist/src/watch/page-routes.js -> dist/ui. */
const UI_DIR = fileURLToPath(new URL("../../ui/", import.meta.url));

/** The only files served under /ui/: a fixed list, so no request reaches outside dist/ui. */
const ASSETS: Readonly<Record<string, string>> = {
  "network.js": "text/javascript; charset=utf-8",
  "network.js.map": "application/json; charset=utf-8",
  "style.css": "text/css; charset=utf-8",
  "favicon.svg": "image/svg+xml",
};

/** The page's only script is the bundle: no text a node sends can run as code. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const TOKEN_META = /<meta name="view-token" content="[^"]*"\s*\/?>/;

/** Serves the network view's page (GET /) and its assets under /ui/, from dist/ui. */
export function registerPageRoutes(
  app: FastifyInstance,
  opts: { pageToken: string; controls: boolean; uiDir?: string },
): void {
  const dir = opts.uiDir ?? UI_DIR;
  const cache = new Map<string, Buffer>();
  async function load(name: string): Promise<Buffer | null> {
    const cached = cache.get(name);
    if (cached) return cached;
    try {
      const bytes = await readFile(`${dir}${name}`);
      cache.set(name, bytes);
      return bytes;
    } catch {
      return null;
    }
  }
  const notBuilt = (reply: FastifyReply) =>
    reply.code(503).send({ message: "the network view is not built; run npm run build" });

  app.get("/", async (_request, reply) => {
    const html = await load("network.html");
    if (!html) return notBuilt(reply);
    // The token rides in the page only where there are buttons to press.
    const token = opts.controls ? opts.pageToken : "";
    const page = html
      .toString("utf8")
      .replace(TOKEN_META, `<meta name="view-token" content="${token}">`);
    return reply
      .type("text/html; charset=utf-8")
      .header("cache-control", "no-cache")
      .header("content-security-policy", CONTENT_SECURITY_POLICY)
      .header("x-content-type-options", "nosniff")
      .send(page);
  });

  app.get("/ui/:file", async (request, reply) => {
    const { file } = request.params as { file: string };
    const type = Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined;
    if (!type) return reply.code(404).send({ message: `'ui/${file}' is not a file of the view` });
    const bytes = await load(file);
    if (!bytes) return notBuilt(reply);
    return reply
      .type(type)
      .header("cache-control", "no-cache")
      .header("x-content-type-options", "nosniff")
      .send(bytes);
  });
}
