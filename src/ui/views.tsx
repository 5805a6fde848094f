// One component per route.
import { AddMessage } from "./components/add-message.js";
import { ChainList } from "./components/chain-list.js";
import { MessageTracker } from "./components/message-tracker.js";
import { NeighbourList } from "./components/neighbour-list.js";
import { Overview } from "./components/overview.js";
import { PendingList } from "./components/pending-list.js";
import { useChainPage } from "./hooks.js";
import { formatCount } from "./lib/format.js";
import { routeHref } from "./lib/route.js";

/** Overview, the form, the newest blocks, pending messages and neighbours. */
export function HomeView() {
  const page = useChainPage(1);
  return (
    <>
      <h1 tabIndex={-1} id="page-title" class="visually-hidden">
        Blockchain explorer
      </h1>
      <Overview recent={page.blocks} />
      {/* The form comes before the long list of blocks: first on a phone, and first for the Tab key. */}
      <div class="columns">
        <div class="area-add">
          <AddMessage />
        </div>
        <section class="panel area-chain" aria-labelledby="latest-title">
          <h2 id="latest-title">Latest blocks</h2>
          <ChainList {...page} pager={false} />
        </section>
        <div class="side area-side">
          <PendingList limit={10} />
          <NeighbourList />
        </div>
      </div>
    </>
  );
}

export function ChainView({ page }: { page: number }) {
  const chain = useChainPage(page);
  return (
    <section aria-labelledby="page-title">
      <h1 tabIndex={-1} id="page-title">
        The chain
        {chain.window && chain.window.page > 1 ? `, page ${formatCount(chain.window.page)}` : ""}
      </h1>
      {/* The blocks' cards are h3 (as under the overview's h2): no heading level is skipped. */}
      <h2 class="visually-hidden">Blocks, newest first</h2>
      <ChainList {...chain} pager />
    </section>
  );
}

export function MessageView({ id }: { id: string }) {
  return (
    <section aria-labelledby="page-title">
      <h1 tabIndex={-1} id="page-title">
        Message
      </h1>
      <p class="muted">
        Id <code>{id}</code>
      </p>
      <div class="panel">
        <MessageTracker key={id} id={id} />
      </div>
    </section>
  );
}

export function PendingView() {
  return (
    <>
      <h1 tabIndex={-1} id="page-title" class="visually-hidden">
        Pending messages
      </h1>
      <PendingList limit={500} />
    </>
  );
}

export function NeighboursView() {
  return (
    <>
      <h1 tabIndex={-1} id="page-title" class="visually-hidden">
        Neighbours
      </h1>
      <NeighbourList />
    </>
  );
}

export function NotFoundView({ path }: { path: string }) {
  return (
    <section>
      <h1 tabIndex={-1} id="page-title">
        Nothing here
      </h1>
      <p>
        The explorer has no page <code>#/{path}</code>.{" "}
        <a href={routeHref({ name: "home" })}>Back to the overview</a>.
      </p>
    </section>
  );
}
