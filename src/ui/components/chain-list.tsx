import { useHashes, useNow } from "../hooks.js";
import { formatCount } from "../lib/format.js";
import { type PageWindow, pagerItems } from "../lib/paging.js";
import { routeHref } from "../lib/route.js";
import type { Block } from "../lib/wire.js";
import { BlockCard } from "./block-card.js";

interface Props {
  blocks: Block[] | null;
  window: PageWindow | null;
  error: string | null;
  /** Whether to show the pager (the home page shows only the newest blocks). */
  pager: boolean;
}

/** Block cards, newest first, with links to older and newer pages. */
export function ChainList({ blocks, window, error, pager }: Props) {
  const hashes = useHashes(blocks);
  const now = useNow();
  if (error && !blocks)
    return (
      <p class="error" role="alert">
        Could not load blocks: {error}
      </p>
    );
  if (!blocks || !window)
    return (
      <p class="muted" role="status">
        Loading blocks…
      </p>
    );
  return (
    <div class="chain">
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <p class="muted chain-range" data-range={`${window.from}-${window.from + window.limit - 1}`}>
        Blocks {formatCount(window.from + window.limit - 1)} to {formatCount(window.from)} · page{" "}
        {window.page} of {formatCount(window.pages)}
      </p>
      <ol class="block-list" reversed>
        {blocks.map((block) => (
          <li key={block.index}>
            <BlockCard block={block} hash={hashes.get(block.index)} now={now} />
          </li>
        ))}
      </ol>
      {pager && <Pager window={window} />}
      {!pager && window.pages > 1 && (
        <p>
          <a href={routeHref({ name: "chain", page: 2 })}>Older blocks →</a>
        </p>
      )}
    </div>
  );
}

function Pager({ window }: { window: PageWindow }) {
  const { page, pages } = window;
  return (
    <nav class="pager" aria-label="Chain pages">
      {page > 1 ? (
        <a href={routeHref({ name: "chain", page: page - 1 })} rel="prev">
          ← Newer
        </a>
      ) : (
        <span class="pager-off">← Newer</span>
      )}
      <ul>
        {pagerItems(page, pages).map((p, i) =>
          p === null ? (
            <li key={`gap-${i}`} aria-hidden="true">
              …
            </li>
          ) : (
            <li key={p}>
              <a
                href={routeHref({ name: "chain", page: p })}
                aria-current={p === page ? "page" : undefined}
              >
                {formatCount(p)}
              </a>
            </li>
          ),
        )}
      </ul>
      {page < pages ? (
        <a href={routeHref({ name: "chain", page: page + 1 })} rel="next">
          Older →
        </a>
      ) : (
        <span class="pager-off">Older →</span>
      )}
    </nav>
  );
}
