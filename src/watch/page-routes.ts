import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import { registerStaticPage } from "../api/static-page.js";

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
  // The token rides in the page only where there are buttons to press.
  const meta = `<meta name="view-token" content="${opts.controls ? opts.pageToken : ""}">`;
  registerStaticPage(app, {
    dir: opts.uiDir ?? UI_DIR,
    page: "network.html",
    assets: ASSETS,
    what: "the network view",
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
    render: (html) => html.replace(TOKEN_META, meta),
  });
}
