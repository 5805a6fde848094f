import { useExplorer } from "../context.js";
import { useNeighbours } from "../hooks.js";
import { formatCount } from "../lib/format.js";

/** The node's neighbours, each with its chain length when this browser can reach it. */
export function NeighbourList() {
  const { status } = useExplorer();
  const { rows, error } = useNeighbours();
  return (
    <section class="panel" aria-labelledby="neighbours-title">
      <h2 id="neighbours-title">Neighbours</h2>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {!rows && !error && <p class="muted">Loading…</p>}
      {rows && rows.length === 0 && <p class="muted">No neighbours: this node is on its own.</p>}
      {rows && rows.length > 0 && (
        <ul class="neighbour-list">
          {rows.map((row) => (
            <li key={row.address} data-address={row.address}>
              <code>{row.address}</code>
              <span class="muted">{describe(row.length, status?.length)}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function describe(length: number | null | undefined, own: number | undefined): string {
  if (length === undefined) return "asking…";
  if (length === null) return "unreachable from this browser";
  const base = `${formatCount(length)} blocks`;
  if (own === undefined || own === length) return base;
  return own > length
    ? `${base} (${formatCount(own - length)} behind)`
    : `${base} (${formatCount(length - own)} ahead)`;
}
