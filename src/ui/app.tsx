import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { BlockPage } from "./components/block-page.js";
import { SearchBox } from "./components/search-box.js";
import { type Explorer, ExplorerContext } from "./context.js";
import { coalesce } from "./lib/coalesce.js";
import { parseRoute, type Route, routeHref } from "./lib/route.js";
import type { NodeStatus } from "./lib/wire.js";
import type { FeedState, LiveFeed } from "./live-feed.js";
import type { NodeClient } from "./node-client.js";
import {
  ChainView,
  HomeView,
  MessageView,
  NeighboursView,
  NotFoundView,
  PendingView,
} from "./views.js";

/** Hash rate and the mining flag change without an event; the status is asked again this often. */
const STATUS_POLL_MS = 10_000;

function titleOf(route: Route): string {
  switch (route.name) {
    case "home":
      return "Overview";
    case "chain":
      return route.page > 1 ? `Chain, page ${route.page}` : "Chain";
    case "block":
      return `Block #${route.index}`;
    case "message":
      return `Message ${route.id.slice(0, 8)}`;
    case "pending":
      return "Pending messages";
    case "neighbours":
      return "Neighbours";
    case "not-found":
      return "Not found";
  }
}

function View({ route }: { route: Route }) {
  switch (route.name) {
    case "home":
      return <HomeView />;
    case "chain":
      return <ChainView page={route.page} />;
    case "block":
      return <BlockPage index={route.index} />;
    case "message":
      return <MessageView id={route.id} />;
    case "pending":
      return <PendingView />;
    case "neighbours":
      return <NeighboursView />;
    case "not-found":
      return <NotFoundView path={route.path} />;
  }
}

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

/** The node's status: asked at start, after every event that changes it (coalesced), and now and then. */
function useStatus(
  client: NodeClient,
  feed: LiveFeed,
): Pick<Explorer, "status" | "statusError" | "refreshStatus"> {
  const [status, setStatus] = useState<NodeStatus | null>(null);
  const [statusError, setStatusError] = useState<string | null>(null);
  const refreshStatus = useMemo(
    () =>
      coalesce(async () => {
        try {
          setStatus(await client.status());
          setStatusError(null);
        } catch (err) {
          setStatusError(err instanceof Error ? err.message : String(err));
        }
      }),
    [client],
  );
  useEffect(() => {
    void refreshStatus();
    const timer = setInterval(() => void refreshStatus(), STATUS_POLL_MS);
    const unsubscribe = feed.subscribe((event) => {
      if (event.type === "block") {
        // Show the new length at once; the refresh brings the tip and the counts.
        const length = event.block.index + 1;
        setStatus((s) => (s && s.length < length ? { ...s, length } : s));
      }
      if (event.type === "neighbours")
        setStatus((s) => (s ? { ...s, neighbours: event.neighbours } : s));
      void refreshStatus();
    });
    return () => {
      clearInterval(timer);
      unsubscribe();
    };
  }, [client, feed, refreshStatus]);
  return { status, statusError, refreshStatus: () => void refreshStatus() };
}

function useFeedState(feed: LiveFeed): FeedState {
  const [state, setState] = useState(feed.state);
  useEffect(() => {
    const unsubscribe = feed.onState(setState);
    // The stream may have opened between the first render and this effect: catch up.
    setState(feed.state);
    return unsubscribe;
  }, [feed]);
  return state;
}

const NAV: readonly { route: Route; label: string }[] = [
  { route: { name: "home" }, label: "Overview" },
  { route: { name: "chain", page: 1 }, label: "Chain" },
  { route: { name: "pending" }, label: "Pending" },
  { route: { name: "neighbours" }, label: "Neighbours" },
];

/** The explorer: header with navigation and search, the current route's view, the node's address. */
export function App({ client, feed }: { client: NodeClient; feed: LiveFeed }) {
  const route = useRoute();
  const statusState = useStatus(client, feed);
  const feedState = useFeedState(feed);
  const explorer = useMemo<Explorer>(
    () => ({ client, feed, ...statusState }),
    [client, feed, statusState.status, statusState.statusError],
  );
  const firstRoute = useRef(true);

  useEffect(() => {
    document.title = `${titleOf(route)} · Blockchain explorer`;
    // Moving focus to the new page's heading tells keyboard and screen-reader users the page changed.
    if (firstRoute.current) {
      firstRoute.current = false;
      return;
    }
    document.getElementById("page-title")?.focus();
  }, [route]);

  return (
    <ExplorerContext.Provider value={explorer}>
      <button type="button" class="skip-link" onClick={skipToMain}>
        Skip to content
      </button>
      <header class="site-header">
        <div class="header-inner">
          <a class="brand" href={routeHref({ name: "home" })}>
            <svg class="brand-mark" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
              <rect x="2" y="9" width="12" height="14" rx="3" />
              <rect x="18" y="9" width="12" height="14" rx="3" />
              <rect x="12" y="14" width="8" height="4" />
            </svg>{" "}
            Blockchain explorer
          </a>
          <nav aria-label="Sections" class="site-nav">
            <ul>
              {NAV.map((item) => (
                <li key={item.label}>
                  <a
                    href={routeHref(item.route)}
                    aria-current={item.route.name === route.name ? "page" : undefined}
                  >
                    {item.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <SearchBox />
          <span class={`live live-${feedState}`} role="status" data-feed={feedState}>
            {feedState === "live"
              ? "live"
              : feedState === "connecting"
                ? "connecting…"
                : "reconnecting…"}
          </span>
        </div>
      </header>
      <main id="main" class="content">
        <View route={route} />
      </main>
      <footer class="site-footer">
        Node <code>{client.label}</code>
        {statusState.status && (
          <>
            {" "}
            · {statusState.status.address} · version {statusState.status.version}
          </>
        )}
      </footer>
    </ExplorerContext.Provider>
  );
}

/** A button, not a `#main` link: the fragment is the route here, so skipping moves focus instead. */
function skipToMain() {
  const heading = document.getElementById("page-title");
  (heading ?? document.getElementById("main"))?.focus();
}
