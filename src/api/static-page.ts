import { readFile } from "node:fs/promises";
import type { FastifyInstance, FastifyReply, RouteShorthandOptions } from "fastify";

/** A built page of dist/ui served by a node or a tool: GET / and its assets under /ui/. */
export interface StaticPage {
  /** The folder of the built files, ending in a separator. */
  dir: string;
  /** The HTML file answered at GET /. */
  page: string;
  /** The only files served under /ui/, with their content types: a fixed list, so no request reaches outside `dir`. */
  assets: Readonly<Record<string, string>>;
  /** What the page is, in messages: "the explorer", "the network view". */
  what: string;
  contentSecurityPolicy: string;
  /** The page as sent, from the built HTML (a meta tag filled in). */
  render: (html: string) => string;
  /** Route options of GET / and GET /ui/:file (their OpenAPI description). */
  pageRoute?: RouteShorthandOptions;
  assetRoute?: RouteShorthandOptions;
}

/**
 * Registers GET / and GET /ui/:file for a built page. Files are read once
 * they exist and kept (they change only with a rebuild, which restarts the
 * server); 503 names the page while it is not built.
 */
export function registerStaticPage(app: FastifyInstance, opts: StaticPage): void {
  const cache = new Map<string, Buffer>();
  async function load(name: string): Promise<Buffer | null> {
    const cached = cache.get(name);
    if (cached) return cached;
    try {
      const bytes = await readFile(`${opts.dir}${name}`);
      cache.set(name, bytes);
      return bytes;
    } catch {
      return null;
    }
  }
  const notBuilt = (reply: FastifyReply) =>
    reply.code(503).send({ message: `${opts.what} is not built; run npm run build` });

  app.get("/", opts.pageRoute ?? {}, async (_request, reply) => {
    const html = await load(opts.page);
    if (!html) return notBuilt(reply);
    return reply
      .type("text/html; charset=utf-8")
      .header("cache-control", "no-cache")
      .header("content-security-policy", opts.contentSecurityPolicy)
      .header("x-content-type-options", "nosniff")
      .send(opts.render(html.toString("utf8")));
  });

  app.get("/ui/:file", opts.assetRoute ?? {}, async (request, reply) => {
    const { file } = request.params as { file: string };
    // Own keys only: 'constructor' or 'toString' are not files of the page.
    const type = Object.hasOwn(opts.assets, file) ? opts.assets[file] : undefined;
    if (!type)
      return reply.code(404).send({ message: `'ui/${file}' is not a file of ${opts.what}` });
    const bytes = await load(file);
    if (!bytes) return notBuilt(reply);
    return reply
      .type(type)
      .header("cache-control", "no-cache")
      .header("x-content-type-options", "nosniff")
      .send(bytes);
  });
}
