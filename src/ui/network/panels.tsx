import { useLayoutEffect, useRef } from "preact/hooks";
import type {
  LinkView,
  NetworkEvent,
  NodeView,
  Propagation,
  SpreadView,
} from "../../watch/wire.js";
import { formatDuration, relativeTime, shortHash } from "../lib/format.js";
import { branchColour } from "./branches.js";
import { memo } from "./memo.js";
import type { Frame } from "./network-state.js";
import { ScrollRegion } from "./scroll-region.js";

type Names = ReadonlyMap<string, string>;
type Branches = ReadonlyMap<string, number>;

function health(node: NodeView): { text: string; tone: string } {
  if (!node.reachable) return { text: "unreachable", tone: "bad" };
  if (node.behind >= 3) return { text: `lagging (${node.behind} behind)`, tone: "warn" };
  return { text: "ok", tone: "good" };
}

function hashrate(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)} MH/s`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)} kH/s`;
  return `${Math.round(value)} H/s`;
}

/** One row a node: its tip coloured by branch, how far behind, its last block, peers, pending, hash rate, health. */
export function NodeTable(props: {
  nodes: readonly NodeView[];
  names: Names;
  branches: Branches;
  now: number;
  controls: boolean;
  onControl: (action: "stop" | "start", node: string) => void;
}) {
  const { nodes, names, branches, now } = props;
  return (
    <section class="panel" aria-labelledby="nodes-title">
      <h2 id="nodes-title">Nodes ({nodes.length})</h2>
      <ScrollRegion label="Node table, scrolls sideways">
        <table class="node-table">
          <thead>
            <tr>
              <th scope="col">Node</th>
              <th scope="col">Tip</th>
              <th scope="col">Length</th>
              <th scope="col">Behind</th>
              <th scope="col">Last block</th>
              <th scope="col">Peers</th>
              <th scope="col">Pending</th>
              <th scope="col">Hash rate</th>
              <th scope="col">Health</th>
              {props.controls && <th scope="col">Control</th>}
            </tr>
          </thead>
          <tbody>
            {nodes.map((node) => (
              <NodeRow
                key={node.address}
                node={node}
                name={names.get(node.address) ?? node.address}
                branch={branches.get(node.address) ?? -1}
                lastBlock={node.last_block_ms ? relativeTime(node.last_block_ms, now) : "—"}
                controls={props.controls}
                onControl={props.onControl}
              />
            ))}
          </tbody>
        </table>
      </ScrollRegion>
    </section>
  );
}

/** One node's row: drawn again only when that node, its branch or its age's text changed. */
const NodeRow = memo(function NodeRow(props: {
  node: NodeView;
  name: string;
  branch: number;
  lastBlock: string;
  controls: boolean;
  onControl: (action: "stop" | "start", node: string) => void;
}) {
  const { node, name, branch } = props;
  const state = health(node);
  return (
    <tr key={node.address} data-node={node.address} data-reachable={String(node.reachable)}>
      <th scope="row">
        {name} <code class="muted">{node.address}</code>
      </th>
      <td data-tip={node.tip ?? ""}>
        <span class="swatch" style={{ background: branchColour(branch) }} aria-hidden="true" />
        <code>{node.tip ? shortHash(node.tip, 6) : "—"}</code>
        {branch >= 0 && <span class="visually-hidden"> branch {branch + 1}</span>}
      </td>
      <td>{node.length}</td>
      <td>{node.behind}</td>
      <td>{props.lastBlock}</td>
      <td>{node.neighbours.length}</td>
      <td>{node.pending}</td>
      <td>{hashrate(node.hashrate)}</td>
      <td>
        <span class={`badge badge-${state.tone}`}>{state.text}</span>
      </td>
      {props.controls && (
        <td>
          {node.reachable ? (
            <button
              type="button"
              class="small-button"
              onClick={() => props.onControl("stop", node.address)}
            >
              Stop {name}
            </button>
          ) : (
            <button
              type="button"
              class="small-button"
              onClick={() => props.onControl("start", node.address)}
            >
              Start {name}
            </button>
          )}
        </td>
      )}
    </tr>
  );
});

/** Nodes × time, each cell coloured by the branch the node was on: a split and its healing at a glance. */
export function ConsensusStrip(props: {
  frames: readonly Frame[];
  nodes: readonly NodeView[];
  names: Names;
  branchesAt: (frame: Frame) => Branches;
}) {
  const frames = props.frames.slice(-120);
  const canvas = useRef<HTMLCanvasElement>(null);
  const cell = 6;
  const rowH = 16;
  const labelW = 70;
  const width = labelW + Math.max(1, frames.length) * cell;
  const height = props.nodes.length * rowH + 4;
  // A canvas, not an element a cell: 32 nodes × 120 s would be 3,840 elements to diff at each update.
  useLayoutEffect(() => {
    const context = canvas.current?.getContext("2d");
    if (!context || !canvas.current) return;
    const scale = window.devicePixelRatio || 1;
    canvas.current.width = width * scale;
    canvas.current.height = height * scale;
    context.setTransform(scale, 0, 0, scale, 0, 0);
    context.clearRect(0, 0, width, height);
    context.font = "11px ui-monospace, monospace";
    context.fillStyle = getComputedStyle(canvas.current).color;
    props.nodes.forEach((node, row) => {
      context.fillText(props.names.get(node.address) ?? node.address, 0, row * rowH + 12);
    });
    frames.forEach((frame, col) => {
      const branches = props.branchesAt(frame);
      props.nodes.forEach((node, row) => {
        context.fillStyle = branchColour(branches.get(node.address) ?? -1);
        context.fillRect(labelW + col * cell, row * rowH + 2, cell - 1, rowH - 4);
      });
    });
    // Frames are appended, and the last one's nodes replaced while its second lasts: these tell a change.
  }, [
    frames.length,
    frames[frames.length - 1]?.at,
    frames[frames.length - 1]?.nodes,
    props.nodes,
    props.names,
    width,
    height,
  ]);
  return (
    <section class="panel" aria-labelledby="strip-title">
      <h2 id="strip-title">Consensus over time</h2>
      <p class="muted small">
        One row a node, one column a second; one colour a branch, grey when unreachable.
      </p>
      <ScrollRegion label="Consensus strip, scrolls sideways">
        <canvas
          ref={canvas}
          class="strip"
          style={{ width: `${width}px`, height: `${height}px` }}
          role="img"
          aria-label={`Consensus strip over the last ${frames.length} seconds`}
        />
      </ScrollRegion>
    </section>
  );
}

/** For each recent block, first seen → seen by all (a waterfall); the spread's histogram; the stale rate. */
export const PropagationPanel = memo(
  function PropagationPanel(props: {
    propagation: Propagation;
    waterfall: readonly SpreadView[];
    names: Names;
  }) {
    const { propagation: p, waterfall } = props;
    const worst = Math.max(1, ...waterfall.flatMap((s) => s.offsets.map((o) => o.ms)));
    const peak = Math.max(1, ...p.bins);
    const staleRate = p.seen > 0 ? `${((100 * p.stale) / p.seen).toFixed(1)} %` : "—";
    const ms = (v: number | null) => (v === null ? "—" : formatDuration(v));
    return (
      <section class="panel" aria-labelledby="prop-title">
        <h2 id="prop-title">Propagation</h2>
        <dl class="stats">
          <div class="stat">
            <dt>p50</dt>
            <dd data-p50>{ms(p.p50_ms)}</dd>
          </div>
          <div class="stat">
            <dt>p90</dt>
            <dd>{ms(p.p90_ms)}</dd>
          </div>
          <div class="stat">
            <dt>max</dt>
            <dd>{ms(p.max_ms)}</dd>
          </div>
          <div class="stat">
            <dt>stale blocks</dt>
            <dd>
              {staleRate}{" "}
              <span class="muted small">
                ({p.stale} of {p.seen})
              </span>
            </dd>
          </div>
        </dl>
        <h3>Histogram ({p.samples} blocks seen by every reachable node)</h3>
        <svg
          class="histogram"
          viewBox="0 0 200 60"
          role="img"
          aria-label={`Histogram of ${p.samples} spreads, ${p.bin_ms} ms a bar`}
        >
          {p.bins.map((count, i) => (
            <rect
              key={i}
              x={i * 10 + 1}
              y={58 - (56 * count) / peak}
              width={8}
              height={(56 * count) / peak}
            />
          ))}
        </svg>
        <h3>Waterfall (newest first)</h3>
        <ScrollRegion label="Waterfall, newest first; scrolls" vertical>
          <ol class="waterfall">
            {waterfall.map((spread) => (
              <li key={spread.hash}>
                <span class="waterfall-label">
                  #{spread.index} <code>{shortHash(spread.hash, 4)}</code>
                </span>
                <span class="waterfall-bar" aria-hidden="true">
                  {spread.offsets.map((o) => (
                    <span
                      key={o.node}
                      class="waterfall-dot"
                      title={`${props.names.get(o.node) ?? o.node}: +${o.ms} ms`}
                      style={{ left: `${(100 * o.ms) / worst}%` }}
                    />
                  ))}
                </span>
                <span class="muted small">
                  {spread.offsets.length} nodes, all in{" "}
                  {formatDuration(spread.offsets[spread.offsets.length - 1]?.ms ?? 0)}
                </span>
              </li>
            ))}
          </ol>
        </ScrollRegion>
      </section>
    );
  },
  // Every update carries these anew, most often unchanged: comparing them is cheaper than the diff.
  (a, b) =>
    a.names === b.names &&
    (a.propagation === b.propagation ||
      JSON.stringify(a.propagation) === JSON.stringify(b.propagation)) &&
    (a.waterfall === b.waterfall || JSON.stringify(a.waterfall) === JSON.stringify(b.waterfall)),
);

/** The peer graph: nodes on a circle coloured by branch, edges with their round trips. */
export const PeerGraph = memo(
  function PeerGraph(props: {
    nodes: readonly NodeView[];
    links: readonly LinkView[];
    names: Names;
    branches: Branches;
  }) {
    const size = 320;
    const r = 120;
    const centre = size / 2;
    const place = new Map(
      props.nodes.map((node, i) => {
        const angle = (2 * Math.PI * i) / Math.max(1, props.nodes.length) - Math.PI / 2;
        return [node.address, { x: centre + r * Math.cos(angle), y: centre + r * Math.sin(angle) }];
      }),
    );
    const drawn = new Set<string>();
    const edges = props.links.filter((link) => {
      const key = [link.from, link.to].sort().join(" ");
      if (!place.has(link.to) || drawn.has(key)) return false;
      drawn.add(key);
      return true;
    });
    return (
      <section class="panel" aria-labelledby="graph-title">
        <h2 id="graph-title">Peer graph</h2>
        <svg
          class="peer-graph"
          viewBox={`0 0 ${size} ${size}`}
          role="img"
          aria-label={`Peer graph: ${props.nodes.length} nodes, ${edges.length} links`}
        >
          {edges.map((link) => {
            const a = place.get(link.from);
            const b = place.get(link.to);
            if (!a || !b) return null;
            return (
              <g key={`${link.from}-${link.to}`}>
                <line
                  class={`graph-edge graph-${link.state}`}
                  x1={a.x}
                  y1={a.y}
                  x2={b.x}
                  y2={b.y}
                />
                {link.rtt_ms !== null && (
                  <text class="graph-rtt" x={(a.x + b.x) / 2} y={(a.y + b.y) / 2}>
                    {link.rtt_ms.toFixed(1)} ms
                  </text>
                )}
              </g>
            );
          })}
          {props.nodes.map((node) => {
            const at = place.get(node.address);
            if (!at) return null;
            return (
              <g key={node.address}>
                <circle
                  cx={at.x}
                  cy={at.y}
                  r={14}
                  fill={branchColour(props.branches.get(node.address) ?? -1)}
                  class={node.reachable ? "" : "graph-down"}
                />
                <text class="graph-name" x={at.x} y={at.y + 28} text-anchor="middle">
                  {props.names.get(node.address)}
                </text>
              </g>
            );
          })}
        </svg>
      </section>
    );
  },
  // The graph reads the nodes' addresses and whether they answer, not their heights.
  (a, b) =>
    a.links === b.links &&
    a.names === b.names &&
    a.branches === b.branches &&
    a.nodes.length === b.nodes.length &&
    a.nodes.every(
      (n, i) => n.address === b.nodes[i]?.address && n.reachable === b.nodes[i]?.reachable,
    ),
);

/** A key an event keeps while it is in the log (events carry no id; their position shifts). */
const eventKeys = new WeakMap<NetworkEvent, number>();
let nextEventKey = 0;
function keyOf(event: NetworkEvent): number {
  let key = eventKeys.get(event);
  if (key === undefined) {
    key = nextEventKey++;
    eventKeys.set(event, key);
  }
  return key;
}

function describe(event: NetworkEvent, names: Names): string {
  const name = (a: unknown) => names.get(String(a)) ?? String(a);
  switch (event.kind) {
    case "fork":
      return `fork at height ${event.index}`;
    case "reorg":
      return `${name(event.node)} reorganised, depth ${event.depth}`;
    case "unreachable":
      return `${name(event.node)} unreachable`;
    case "reachable":
      return `${name(event.node)} answers again`;
    case "joined":
      return `${name(event.node)} found`;
    case "lagging":
      return `${name(event.node)} lagging, ${event.behind} blocks behind`;
    case "caught-up":
      return `${name(event.node)} caught up`;
    case "ban":
      return `${name(event.node)} banned ${String(event.peer)}`;
    case "control":
      return `view: ${String(event.what)}${event.node ? ` ${name(event.node)}` : ""}`;
  }
}

/** Forks, reorgs with their depth, bans, lagging and unreachable nodes: newest first. */
export const EventLog = memo(function EventLog(props: {
  events: readonly NetworkEvent[];
  names: Names;
  now: number;
}) {
  const shown = props.events.slice(-200).reverse();
  return (
    <section class="panel" aria-labelledby="log-title">
      <h2 id="log-title">Event log</h2>
      <ScrollRegion label="Event log, newest first; scrolls" vertical>
        <ol class="event-log" aria-live="off">
          {shown.map((event) => (
            <li key={keyOf(event)} data-kind={event.kind}>
              <span class={`badge event-${event.kind}`}>{event.kind}</span>{" "}
              {describe(event, props.names)}{" "}
              <span class="muted small">{relativeTime(event.at, props.now)}</span>
            </li>
          ))}
        </ol>
      </ScrollRegion>
    </section>
  );
});
