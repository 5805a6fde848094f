import { join } from "node:path";
import { fileURLToPath } from "node:url";
// The route schema's documentation fields (summary, tags, operationId...) are declared there.
import type {} from "@fastify/swagger";
import type { FastifyInstance } from "fastify";
import { registerStaticPage } from "./static-page.js";

/** Where the built explorer lives: dist/src/api/explorer.js -> dist/ui. */
const UI_DIR = fileURLToPath(new URL("../../ui/", import.meta.url));

/** The only files served under /ui/: a fixed list, so no request can reach outside dist/ui. */
const ASSETS: Readonly<Record<string, string>> = {
  "app.js": "text/javascript; charset=utf-8",
  "app.js.map": "application/json; charset=utf-8",
  "style.css": "text/css; charset=utf-8",
  "favicon.svg": "image/svg+xml",
};

/** The tag of index.html whose content tells the app which node to call (empty: the same origin). */
const NODE_META = /<meta name="blockchain-node" content="[^"]*"\s*\/?>/;

export interface ExplorerOptions {
  /** The node the explorer calls; omitted when the explorer is served by that node itself. */
  nodeUrl?: string;
  /** The built explorer's folder; default dist/ui (tests point it elsewhere). */
  uiDir?: string;
}

function escapeAttribute(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/"/g, "&quot;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");
}

/** Throws a clear error for a node URL the page could not call. */
function checkNodeUrl(nodeUrl: string): void {
  let url: URL;
  try {
    url = new URL(nodeUrl);
  } catch {
    throw new TypeError(
      `the node URL '${nodeUrl}' is not a valid URL (expected e.g. http://127.0.0.1:12345)`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`the node URL '${nodeUrl}' must start with http:// or https://`);
  }
}

/**
 * The bundle is the only script, so an injected message text can never run code.
 * connect-src stays open to http(s): the page asks each neighbour, wherever it is, for its length.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "connect-src 'self' http: https:",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * Serves the web explorer: GET / (index.html, told which node to call) and its
 * assets under /ui/, from dist/ui. Answers 503 while the explorer is not built.
 */
export function registerExplorer(app: FastifyInstance, opts: ExplorerOptions = {}): void {
  if (opts.nodeUrl) checkNodeUrl(opts.nodeUrl);
  const nodeUrl = opts.nodeUrl ? opts.nodeUrl.replace(/\/+$/, "") : "";
  const meta = `<meta name="blockchain-node" content="${escapeAttribute(nodeUrl)}">`;
  registerStaticPage(app, {
    dir: opts.uiDir ? join(opts.uiDir, "/") : UI_DIR,
    page: "index.html",
    assets: ASSETS,
    what: "the explorer",
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
    render: (html) => html.replace(NODE_META, meta),
    pageRoute: {
      schema: {
        summary: "The web explorer (HTML)",
        operationId: "getExplorer",
        tags: ["explorer"],
        produces: ["text/html"],
        response: { 200: { type: "string", description: "the explorer's page" } },
      },
    },
    assetRoute: { schema: { hide: true } },
  });
}
