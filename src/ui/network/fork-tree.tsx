import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { shortHash } from "../lib/format.js";
import { branchColour, type ForkTree, type TreeItem } from "./branches.js";
import { memo } from "./memo.js";
import { ScrollRegion } from "./scroll-region.js";
import { BOX_H, BOX_W, boxLeft, COLUMN_W, LANE_H, visibleItems } from "./tree-geometry.js";

interface Props {
  tree: ForkTree;
  /** Node address -> short name (node-0...). */
  names: ReadonlyMap<string, string>;
  branches: ReadonlyMap<string, number>;
  /** The deepest reorg seen at each fork height, for the fork points' marks. */
  depths: ReadonlyMap<number, number>;
}

/** What of the tree's width is in sight: its left edge and width (px). */
interface Viewport {
  left: number;
  width: number;
}

/** The box's width until it is measured: a wide screen's, so the first paint misses nothing. */
const GUESSED_VIEW_W = 1600;

function label(item: TreeItem): string {
  return item.from === item.to ? `#${item.from}` : `#${item.from}–${item.to}`;
}

/** The live fork tree: every block seen, side branches kept, straight runs drawn as one box. */
export const ForkTreeView = memo(function ForkTreeView({ tree, names, branches, depths }: Props) {
  const width = Math.max(1, tree.columns) * COLUMN_W + 20;
  const height = Math.max(1, tree.lanes) * LANE_H + 24;
  const x = boxLeft;
  const y = (item: TreeItem) => 18 + item.lane * LANE_H;
  const forks = tree.items.filter((i) => i.fork).length;
  const scroller = useRef<HTMLElement>(null);
  const atEnd = useRef(true);
  const [view, setView] = useState<Viewport>({ left: 0, width: GUESSED_VIEW_W });
  const pending = useRef(0);
  // The newest blocks are on the right: keep them in sight unless the reader scrolled back.
  useLayoutEffect(() => {
    const box = scroller.current;
    if (box && atEnd.current) box.scrollLeft = box.scrollWidth;
  });
  // The box's width, read again when it changes (a phone turned, a window resized).
  useEffect(() => {
    const box = scroller.current;
    if (!box) return;
    const measure = () => setView({ left: box.scrollLeft, width: box.clientWidth });
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(box);
    return () => {
      observer.disconnect();
      cancelAnimationFrame(pending.current);
    };
  }, []);
  const drawn = visibleItems(
    tree.items,
    atEnd.current ? width - view.width : view.left,
    view.width,
  );
  const stale = tree.items.filter((i) => i.stale).length;
  return (
    <section class="panel tree-panel" aria-labelledby="tree-title">
      <h2 id="tree-title">Fork tree</h2>
      {tree.race && (
        <p class="race-banner" role="status">
          Race open: {tree.race.blocks} blocks at height {tree.race.height}
        </p>
      )}
      <p class="muted small">
        {tree.items.length} boxes, {forks} fork point{forks === 1 ? "" : "s"}, {stale} abandoned
        branch{stale === 1 ? "" : "es"}; straight runs are drawn as one box, abandoned branches
        dashed, tips labelled with the nodes on them.
      </p>
      <ScrollRegion
        label="Fork tree, scrolls sideways"
        boxRef={scroller}
        onScroll={(box) => {
          atEnd.current = box.scrollLeft + box.clientWidth >= box.scrollWidth - 4;
          // One redraw per frame however fast the reader scrolls.
          if (pending.current) return;
          pending.current = requestAnimationFrame(() => {
            pending.current = 0;
            setView({ left: box.scrollLeft, width: box.clientWidth });
          });
        }}
      >
        <svg
          class="fork-tree"
          width={width}
          height={height}
          viewBox={`0 0 ${width} ${height}`}
          role="img"
          aria-label={`Fork tree: ${tree.lanes} branch${tree.lanes === 1 ? "" : "es"}${tree.race ? `, a race at height ${tree.race.height}` : ""}`}
        >
          {drawn.map((item) =>
            item.parent ? (
              <path
                key={`e-${item.hash}`}
                class={`tree-edge${item.stale ? " tree-stale" : ""}`}
                d={`M ${x(item.parent) + BOX_W} ${y(item.parent) + BOX_H / 2} C ${x(item) - 10} ${y(item.parent) + BOX_H / 2}, ${x(item) - 10} ${y(item) + BOX_H / 2}, ${x(item)} ${y(item) + BOX_H / 2}`}
              />
            ) : null,
          )}
          {drawn.map((item) => {
            const tipNodes = item.tipOf;
            const branch = tipNodes.length > 0 ? (branches.get(tipNodes[0] as string) ?? -1) : -1;
            const depth = item.fork ? depths.get(item.to) : undefined;
            return (
              <g key={item.hash} data-hash={item.lastHash} data-stale={item.stale ? "yes" : "no"}>
                <title>
                  {`${label(item)} ${item.lastHash}${item.stale ? " (abandoned)" : ""}${tipNodes.length ? `, tip of ${tipNodes.map((a) => names.get(a) ?? a).join(", ")}` : ""}`}
                </title>
                <rect
                  class={`tree-box${item.stale ? " tree-stale" : ""}${item.fork ? " tree-fork" : ""}`}
                  x={x(item)}
                  y={y(item)}
                  width={BOX_W}
                  height={BOX_H}
                  rx={6}
                  style={
                    tipNodes.length > 0
                      ? { stroke: branchColour(branch), strokeWidth: 3 }
                      : undefined
                  }
                />
                <text class="tree-label" x={x(item) + 6} y={y(item) + 14}>
                  {label(item)}
                </text>
                <text class="tree-hash" x={x(item) + 6} y={y(item) + 28}>
                  {shortHash(item.lastHash, 4)}
                </text>
                {item.fork && (
                  <text class="tree-mark" x={x(item)} y={y(item) - 4}>
                    fork{depth ? ` · depth ${depth}` : ""}
                  </text>
                )}
                {tipNodes.length > 0 && (
                  <text class="tree-tips" x={x(item)} y={y(item) + BOX_H + 13}>
                    {tipNodes.map((a) => names.get(a) ?? a).join(", ")}
                  </text>
                )}
              </g>
            );
          })}
        </svg>
      </ScrollRegion>
    </section>
  );
});
