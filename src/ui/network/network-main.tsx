import { render } from "preact";
import type { NetworkDelta, NetworkSnapshot } from "../../watch/wire.js";
import { NetworkApp, type ViewFeed } from "./network-app.js";
import { applyDelta, emptyState, fromSnapshot, type NetworkState } from "./network-state.js";

/** Time from each update's arrival to its paint (ms), kept for the bench (the newest 1000). */
const latencies: number[] = [];
(window as unknown as { __viewLatencies: number[] }).__viewLatencies = latencies;

function tokenOfPage(): string {
  return document.querySelector('meta[name="view-token"]')?.getAttribute("content") ?? "";
}

function createFeed(): ViewFeed {
  let state: NetworkState = emptyState();
  let connection: "connecting" | "live" | "reconnecting" = "connecting";
  const listeners = new Set<() => void>();
  const notify = (arrived: number) => {
    for (const listener of listeners) listener();
    // Painted after the next animation frame's render and the one after it (the paint itself).
    requestAnimationFrame(() =>
      setTimeout(() => {
        latencies.push(performance.now() - arrived);
        if (latencies.length > 1000) latencies.shift();
      }, 0),
    );
  };
  const source = new EventSource("/network/events");
  source.addEventListener("snapshot", (message) => {
    const arrived = performance.now();
    try {
      state = fromSnapshot(
        JSON.parse(String((message as MessageEvent).data)) as NetworkSnapshot,
        Date.now(),
        state,
      );
    } catch {
      return;
    }
    connection = "live";
    notify(arrived);
  });
  source.addEventListener("update", (message) => {
    const arrived = performance.now();
    try {
      applyDelta(
        state,
        JSON.parse(String((message as MessageEvent).data)) as NetworkDelta,
        Date.now(),
      );
    } catch {
      return;
    }
    notify(arrived);
  });
  source.onerror = () => {
    connection = "reconnecting";
    for (const listener of listeners) listener();
  };
  return {
    current: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    connection: () => connection,
    async control(action, node) {
      const query = node ? `?node=${encodeURIComponent(node)}` : "";
      try {
        const response = await fetch(`/control/${action}${query}`, {
          method: "POST",
          headers: { "x-view-token": tokenOfPage() },
        });
        if (response.ok) return null;
        const body = (await response.json().catch(() => ({}))) as { message?: string };
        return body.message ?? `the view answered ${response.status}`;
      } catch (err) {
        return `the view did not answer: ${(err as Error).message}`;
      }
    },
    exportJson() {
      return JSON.stringify(
        {
          exported_at: Date.now(),
          nodes: state.nodes,
          blocks: [...state.blocks.values()],
          events: state.events,
          propagation: state.propagation,
          links: state.links,
          frames: state.frames,
        },
        null,
        1,
      );
    },
  };
}

const root = document.getElementById("app");
if (root) {
  root.textContent = "";
  render(<NetworkApp feed={createFeed()} />, root);
}
