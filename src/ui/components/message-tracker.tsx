import { useEffect, useRef, useState } from "preact/hooks";
import { useExplorer } from "../context.js";
import { useLive } from "../hooks.js";
import { coalesce } from "../lib/coalesce.js";
import { plural } from "../lib/format.js";
import { confirmations } from "../lib/live.js";
import { routeHref } from "../lib/route.js";
import type { DataLookup } from "../lib/wire.js";

type Tracked =
  | { state: "asking" }
  | { state: "unknown" }
  | { state: "error"; reason: string }
  | { state: "found"; lookup: DataLookup };

interface Props {
  id: string;
  /** What is already known, e.g. "pending" from the node's answer to POST /add. */
  initial?: DataLookup;
  showMessage?: boolean;
}

/**
 * A message's way into the chain, live: pending, then confirmed in block N with
 * its confirmations. The node is asked again when a block or a reorg may have moved it.
 */
export function MessageTracker({ id, initial, showMessage = true }: Props) {
  const { client, status } = useExplorer();
  const [tracked, setTracked] = useState<Tracked>(
    initial ? { state: "found", lookup: initial } : { state: "asking" },
  );
  const refresh = useRef<() => Promise<void>>(async () => undefined);

  useEffect(() => {
    let alive = true;
    refresh.current = coalesce(async () => {
      try {
        const lookup = await client.lookup(id);
        if (alive) setTracked(lookup ? { state: "found", lookup } : { state: "unknown" });
      } catch (err) {
        if (alive)
          setTracked({ state: "error", reason: err instanceof Error ? err.message : String(err) });
      }
    });
    void refresh.current();
    return () => {
      alive = false;
    };
  }, [client, id]);

  useLive((event) => {
    if (event.type === "reorg" || event.type === "resync") return void refresh.current();
    if (event.type === "block" && event.block.data.id === id) return void refresh.current();
    if (event.type === "data" && event.data.id === id && tracked.state !== "found")
      void refresh.current();
  });

  if (tracked.state === "asking")
    return (
      <p class="tracker muted" data-status="asking">
        Asking the node…
      </p>
    );
  if (tracked.state === "error")
    return (
      <p class="tracker error" data-status="error">
        {tracked.reason}
      </p>
    );
  if (tracked.state === "unknown") {
    return (
      <p class="tracker" data-status="unknown">
        The node knows no message with id <code>{id}</code>.
      </p>
    );
  }
  const { lookup } = tracked;
  return (
    <div class="tracker" data-status={lookup.status} aria-live="polite">
      {showMessage && <p class="message">{lookup.message}</p>}
      {lookup.status === "pending" ? (
        <p>
          <span class="badge badge-pending">pending</span> waiting for a miner to put it in a block
        </p>
      ) : (
        <p>
          <span class="badge badge-on">confirmed</span> in{" "}
          <a
            href={routeHref({ name: "block", index: lookup.index })}
            data-confirmed-index={lookup.index}
          >
            block {lookup.index}
          </a>{" "}
          with{" "}
          <Confirmations
            count={confirmations(
              lookup.index,
              Math.max(status?.length ?? 0, lookup.index + lookup.confirmations),
            )}
          />
        </p>
      )}
    </div>
  );
}

function Confirmations({ count }: { count: number }) {
  return <span data-confirmations={count}>{plural(count, "confirmation")}</span>;
}
