import { usePending } from "../hooks.js";
import { formatCount } from "../lib/format.js";
import { routeHref } from "../lib/route.js";

/** The node's pending messages, live; at most `limit` shown (the pool may hold thousands). */
export function PendingList({ limit }: { limit: number }) {
  const { list, error } = usePending();
  return (
    <section class="panel" aria-labelledby="pending-title">
      <h2 id="pending-title">
        Pending messages {list && <span class="count">{formatCount(list.length)}</span>}
      </h2>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {!list && !error && <p class="muted">Loading…</p>}
      {list && list.length === 0 && <p class="muted">None: every message is in a block.</p>}
      {list && list.length > 0 && (
        <ul class="pending-list">
          {list.slice(0, limit).map((d) => (
            <li key={d.id} data-id={d.id}>
              <span class="message">{d.message}</span>
              <a class="id-link" href={routeHref({ name: "message", id: d.id })}>
                <code>{d.id.slice(0, 8)}</code>
              </a>
            </li>
          ))}
        </ul>
      )}
      {list && list.length > limit && (
        <p class="muted">
          and {formatCount(list.length - limit)} more
          {limit < 500 ? (
            <>
              {" "}
              · <a href={routeHref({ name: "pending" })}>see all</a>
            </>
          ) : null}
        </p>
      )}
    </section>
  );
}
