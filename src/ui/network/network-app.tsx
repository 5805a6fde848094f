import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { NetworkEvent, NodeView } from "../../watch/wire.js";
import { branchesOf, layoutForkTree } from "./branches.js";
import { ForkTreeView } from "./fork-tree.js";
import type { Frame, NetworkState } from "./network-state.js";
import { REPLAY_MS, stateAt } from "./network-state.js";
import { ConsensusStrip, EventLog, NodeTable, PeerGraph, PropagationPanel } from "./panels.js";

export interface ViewFeed {
  /** The live picture (mutated as deltas come; `version` tells). */
  current(): NetworkState;
  subscribe(listener: () => void): () => void;
  connection(): "connecting" | "live" | "reconnecting";
  /** POSTs a control of a devnet's view; resolves to an error message or null. */
  control(action: string, node?: string): Promise<string | null>;
  /** Everything the page holds, for the export. */
  exportJson(): string;
}

/** Nodes in a stable order: by host, then port as a number. */
function sortedNodes(nodes: readonly NodeView[]): NodeView[] {
  const portOf = (a: string) => Number(a.slice(a.lastIndexOf(":") + 1)) || 0;
  return [...nodes].sort(
    (a, b) =>
      a.address
        .slice(0, a.address.lastIndexOf(":"))
        .localeCompare(b.address.slice(0, b.address.lastIndexOf(":"))) ||
      portOf(a.address) - portOf(b.address),
  );
}

/** The nodes' short names (node-0, node-1...), in the sorted order. */
function namesOf(sorted: readonly NodeView[]): Map<string, string> {
  return new Map(sorted.map((n, i) => [n.address, `node-${i}`]));
}

/** The deepest reorg seen at each fork height (from the event log), for the fork points' marks. */
function reorgDepths(events: readonly NetworkEvent[]): Map<number, number> {
  const depths = new Map<number, number>();
  for (const event of events) {
    if (event.kind !== "reorg") continue;
    const at = Number(event.fork_index);
    depths.set(at, Math.max(depths.get(at) ?? 0, Number(event.depth) || 0));
  }
  return depths;
}

function sameDepths(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [at, depth] of a) if (b.get(at) !== depth) return false;
  return true;
}

/** The value of the last render while it is equal to the new one, so memoised panels skip. */
function useStable<T>(value: T, equal: (a: T, b: T) => boolean): T {
  const kept = useRef(value);
  if (kept.current !== value && !equal(kept.current, value)) kept.current = value;
  return kept.current;
}

function useFeed(feed: ViewFeed): number {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    let frame = 0;
    // One paint per animation frame however many deltas came: the page keeps up at any rate.
    const unsubscribe = feed.subscribe(() => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        setVersion((v) => v + 1);
      });
    });
    return () => {
      unsubscribe();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [feed]);
  return version;
}

/**
 * False until the frame after the first picture is painted: the node table, what a reader
 * looks at first, is painted alone, and the fork tree and the other panels (most of the
 * first render's work) come in the next frame.
 */
function useAfterFirstPaint(hasPicture: boolean): boolean {
  const [ready, setReady] = useState(false);
  useEffect(() => {
    if (ready || !hasPicture) return;
    let timer = 0;
    const frame = requestAnimationFrame(() => {
      timer = window.setTimeout(() => setReady(true), 0);
    });
    return () => {
      cancelAnimationFrame(frame);
      clearTimeout(timer);
    };
  }, [ready, hasPicture]);
  return ready;
}

function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/** The network view: node table, fork tree, consensus strip, propagation, peer graph, event log. */
export function NetworkApp({ feed }: { feed: ViewFeed }) {
  const tick = useFeed(feed);
  const now = useNow();
  const [paused, setPaused] = useState<NetworkState | null>(null);
  const [replayAt, setReplayAt] = useState<number | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const live = feed.current();
  const frozen = paused ?? live;
  const shown = replayAt === null ? frozen : stateAt(frozen, replayAt);
  // Most updates change a node's row only: the names, the branches and the fork tree are
  // redone only when what they read changed, so the panels fed by them are skipped (memo).
  const sorted = useMemo(() => sortedNodes(shown.nodes), [shown.nodes]);
  const addresses = sorted.map((n) => n.address).join(" ");
  const names = useMemo(() => namesOf(sorted), [addresses]);
  const tips = sorted.map((n) => `${n.address} ${n.tip} ${n.reachable} ${n.length}`).join(" ");
  const branches = useMemo(
    () => branchesOf(shown.nodes, shown.blocks),
    [tips, shown.blocksVersion],
  );
  const rest = useAfterFirstPaint(live.version > 0);
  const tree = useMemo(
    () => (rest ? layoutForkTree(shown.blocks, shown.nodes) : null),
    [tips, shown.blocksVersion, rest],
  );
  const depths = useStable(reorgDepths(shown.events), sameDepths);
  const branchesAt = (frame: Frame) => branchesOfFrame(frame, shown.blocks);
  const firstFrame = frozen.frames[0]?.at ?? now;
  const lastFrame = frozen.frames[frozen.frames.length - 1]?.at ?? now;

  useEffect(() => {
    document.body.dataset.version = String(shown.version);
  }, [shown.version, tick]);

  // One function for the page's life, so the memoised rows holding it are not drawn again.
  const control = useMemo(
    () => async (action: string, node?: string) => {
      setBusy(true);
      setProblem(await feed.control(action, node));
      setBusy(false);
    },
    [feed],
  );
  const exportSession = () => {
    const blob = new Blob([feed.exportJson()], { type: "application/json" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `network-${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  };
  const connection = feed.connection();

  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="site-header">
        <div class="header-inner">
          <span class="brand">
            <svg class="brand-mark" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
              <rect x="2" y="9" width="12" height="14" rx="3" />
              <rect x="18" y="9" width="12" height="14" rx="3" />
              <rect x="12" y="14" width="8" height="4" />
            </svg>{" "}
            Network view
          </span>
          <div class="view-tools">
            <button
              type="button"
              aria-pressed={paused !== null}
              onClick={() => setPaused(paused ? null : cloneForPause(live))}
            >
              {paused ? "Resume" : "Pause"}
            </button>
            <label class="replay">
              <span>Replay</span>
              <input
                type="range"
                min={Math.max(firstFrame, lastFrame - REPLAY_MS)}
                max={lastFrame}
                step={1000}
                value={replayAt ?? lastFrame}
                aria-valuetext={
                  replayAt === null ? "live" : `${Math.round((lastFrame - replayAt) / 1000)} s ago`
                }
                onInput={(e) => {
                  const at = Number((e.target as HTMLInputElement).value);
                  setReplayAt(at >= lastFrame ? null : at);
                }}
              />
            </label>
            {replayAt !== null && (
              <button type="button" onClick={() => setReplayAt(null)}>
                Back to live
              </button>
            )}
            <button type="button" onClick={exportSession}>
              Export JSON
            </button>
          </div>
          <span class={`live live-${connection}`} role="status" data-feed={connection}>
            {connection === "live"
              ? paused
                ? "paused"
                : "live"
              : connection === "connecting"
                ? "connecting…"
                : "reconnecting…"}
          </span>
        </div>
      </header>
      <main id="main" class="content network-view" tabIndex={-1}>
        <h1 class="visually-hidden">Network view</h1>
        {shown.controls && (
          <section class="panel teaching" aria-labelledby="teach-title">
            <h2 id="teach-title">Cause it on purpose</h2>
            <p class="muted small">
              This devnet lets its view split the nodes into two groups, heal them, stop and start a
              node.
            </p>
            <div class="teach-buttons">
              <button type="button" disabled={busy} onClick={() => control("split")}>
                Split into two groups
              </button>
              <button type="button" disabled={busy} onClick={() => control("heal")}>
                Heal
              </button>
            </div>
            {problem && (
              <p class="error" role="alert">
                {problem}
              </p>
            )}
          </section>
        )}
        <NodeTable
          nodes={sorted}
          names={names}
          branches={branches}
          now={now}
          controls={shown.controls}
          onControl={control}
        />
        {tree ? (
          <>
            <ForkTreeView tree={tree} names={names} branches={branches} depths={depths} />
            <div class="network-columns">
              <ConsensusStrip
                frames={frozen.frames.filter((f) => replayAt === null || f.at <= replayAt)}
                nodes={sorted}
                names={names}
                branchesAt={branchesAt}
              />
              <PeerGraph nodes={sorted} links={shown.links} names={names} branches={branches} />
            </div>
            <div class="network-columns">
              <PropagationPanel
                propagation={shown.propagation}
                waterfall={shown.waterfall}
                names={names}
              />
              <EventLog events={shown.events} names={names} now={now} />
            </div>
          </>
        ) : (
          <p class="panel muted" role="status">
            Drawing the fork tree…
          </p>
        )}
      </main>
    </>
  );
}

/**
 * Each frame's branches, worked out once per nodes array (a frame's array is replaced, never
 * changed, when its nodes change): the strip reads 120 frames at every paint.
 */
const frameBranches = new WeakMap<readonly NodeView[], Map<string, number>>();
function branchesOfFrame(frame: Frame, blocks: NetworkState["blocks"]): Map<string, number> {
  let branches = frameBranches.get(frame.nodes);
  if (!branches) {
    branches = branchesOf(frame.nodes, blocks);
    frameBranches.set(frame.nodes, branches);
  }
  return branches;
}

/** A paused picture: the live state goes on changing underneath, so its changing parts are copied. */
function cloneForPause(state: NetworkState): NetworkState {
  return {
    ...state,
    blocks: new Map(state.blocks),
    frames: [...state.frames],
    events: [...state.events],
  };
}
