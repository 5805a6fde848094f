// Hash-based routes (#/block/12): the explorer is one static page, served by any
// node at / or by `blockchain ui`, so the path stays / and the fragment routes.

export type Route =
  | { name: "home" }
  | { name: "chain"; page: number }
  | { name: "block"; index: number }
  | { name: "message"; id: string }
  | { name: "pending" }
  | { name: "neighbours" }
  | { name: "not-found"; path: string };

const MESSAGE_ID = /^[0-9a-f]{32}$/;

function positiveInt(text: string): number | null {
  if (!/^\d{1,15}$/.test(text)) return null;
  return Number(text);
}

/** The route of a location hash such as `#/block/12`; anything unknown is `not-found`. */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, "").replace(/^\/+/, "").replace(/\/+$/, "");
  const parts = path.split("/").map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  const [head = "", arg, extra] = parts;
  if (extra !== undefined) return { name: "not-found", path };
  if (head === "" && arg === undefined) return { name: "home" };
  if (head === "chain") {
    if (arg === undefined) return { name: "chain", page: 1 };
    const page = positiveInt(arg);
    return page !== null && page >= 1 ? { name: "chain", page } : { name: "not-found", path };
  }
  if (head === "block" && arg !== undefined) {
    const index = positiveInt(arg);
    return index !== null ? { name: "block", index } : { name: "not-found", path };
  }
  if (head === "message" && arg !== undefined) {
    const id = arg.toLowerCase();
    return MESSAGE_ID.test(id) ? { name: "message", id } : { name: "not-found", path };
  }
  if (head === "pending" && arg === undefined) return { name: "pending" };
  if (head === "neighbours" && arg === undefined) return { name: "neighbours" };
  return { name: "not-found", path };
}

/** The location hash of a route; parseRoute(routeHref(r)) gives r back. */
export function routeHref(route: Route): string {
  switch (route.name) {
    case "home":
      return "#/";
    case "chain":
      return route.page <= 1 ? "#/chain" : `#/chain/${route.page}`;
    case "block":
      return `#/block/${route.index}`;
    case "message":
      return `#/message/${route.id}`;
    case "pending":
      return "#/pending";
    case "neighbours":
      return "#/neighbours";
    case "not-found":
      return `#/${route.path}`;
  }
}
