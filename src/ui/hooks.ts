// Hooks shared by the views: live events, a ticking clock, the chain's pages, pending messages, neighbours.
import { useEffect, useRef, useState } from "preact/hooks";
import { useExplorer } from "./context.js";
import { hashesOf } from "./lib/block-hash.js";
import { coalesce } from "./lib/coalesce.js";
import { addPending, prependBlock, removeConfirmed } from "./lib/live.js";
import { PAGE_SIZE, type PageWindow, pageWindow } from "./lib/paging.js";
import type { Block, Data } from "./lib/wire.js";
import type { LiveEvent } from "./live-feed.js";
import { neighbourLength } from "./node-client.js";

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Calls `handler` for every live event while the component is mounted (always its latest version). */
export function useLive(handler: (event: LiveEvent) => void): void {
  const { feed } = useExplorer();
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => feed.subscribe((event) => latest.current(event)), [feed]);
}

/** The current time, refreshed every `intervalMs`, so that "3 min ago" keeps true. */
export function useNow(intervalMs = 15_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** The hashes of a run of blocks, computed in the browser (the API does not send them). */
export function useHashes(blocks: readonly Block[] | null): Map<number, string> {
  const [hashes, setHashes] = useState<Map<number, string>>(new Map());
  useEffect(() => {
    if (!blocks) return;
    let current = true;
    void hashesOf(blocks).then((h) => {
      if (current) setHashes(h);
    });
    return () => {
      current = false;
    };
  }, [blocks]);
  return hashes;
}

export interface ChainPage {
  /** Newest first. */
  blocks: Block[] | null;
  window: PageWindow | null;
  error: string | null;
}

/**
 * One page of the chain, newest first. Only that page's blocks are fetched, so a
 * 100,000-block chain opens as fast as a short one. Page 1 follows the tip live;
 * older pages stay as fetched, unless a reorg rewrites them.
 */
export function useChainPage(page: number): ChainPage {
  const { client, status } = useExplorer();
  const [state, setState] = useState<ChainPage>({ blocks: null, window: null, error: null });
  const blocksRef = useRef<Block[] | null>(null);
  const knownLength = status?.length ?? null;
  // Loads read the latest known length, not the one of the render that created them.
  const lengthRef = useRef(knownLength);
  lengthRef.current = knownLength;
  const loadRef = useRef<() => Promise<void>>(async () => undefined);
  // The page's window needs the chain's length: wait for the status the app asks for anyway.
  const ready = knownLength !== null;

  useEffect(() => {
    if (!ready) return;
    let alive = true;
    const load = coalesce(async () => {
      try {
        let length = lengthRef.current ?? (await client.status()).length;
        let window = pageWindow(length, page);
        let answer = await client.blocks(window.from, window.limit);
        // The chain grew (or shrank) between the status and this page: take the page again once.
        if (answer.length !== length) {
          length = answer.length;
          window = pageWindow(length, page);
          answer = await client.blocks(window.from, window.limit);
        }
        if (!alive) return;
        const blocks = [...answer.blocks].reverse();
        blocksRef.current = blocks;
        setState({ blocks, window, error: null });
      } catch (err) {
        if (alive) setState((s) => ({ ...s, error: errorText(err) }));
      }
    });
    loadRef.current = load;
    void load();
    return () => {
      alive = false;
    };
    // Later lengths arrive through events, which update the page without a new load.
  }, [client, page, ready]);

  useLive((event) => {
    if (event.type === "resync") return void loadRef.current();
    if (event.type === "reorg") {
      const top = blocksRef.current?.[0]?.index ?? 0;
      if (page === 1 || event.reorg.fork_index <= top) void loadRef.current();
      return;
    }
    if (event.type !== "block" || page !== 1) return;
    const current = blocksRef.current;
    if (!current) return;
    const next = prependBlock(current, event.block, PAGE_SIZE);
    if (!next) return void loadRef.current();
    blocksRef.current = next;
    const length = event.block.index + 1;
    setState({ blocks: next, window: pageWindow(length, 1), error: null });
  });

  return state;
}

export interface PendingState {
  list: Data[] | null;
  error: string | null;
}

/** The node's pending messages, kept current by `data`, `block` and `reorg` events. */
export function usePending(): PendingState {
  const { client } = useExplorer();
  const [state, setState] = useState<PendingState>({ list: null, error: null });
  const loadRef = useRef<() => Promise<void>>(async () => undefined);

  useEffect(() => {
    let alive = true;
    const load = coalesce(async () => {
      try {
        const list = await client.pending();
        if (alive) setState({ list, error: null });
      } catch (err) {
        if (alive) setState((s) => ({ ...s, error: errorText(err) }));
      }
    });
    loadRef.current = load;
    void load();
    return () => {
      alive = false;
    };
  }, [client]);

  useLive((event) => {
    if (event.type === "reorg" || event.type === "resync") return void loadRef.current();
    if (event.type === "data")
      setState((s) => (s.list ? { ...s, list: addPending(s.list, event.data) } : s));
    if (event.type === "block")
      setState((s) => (s.list ? { ...s, list: removeConfirmed(s.list, event.block) } : s));
  });
  return state;
}

export interface NeighbourRow {
  address: string;
  /** undefined: still asking; null: not reachable from this browser. */
  length: number | null | undefined;
}

/** The node's neighbours with each one's chain length, asked of the neighbour itself. */
export function useNeighbours(): { rows: NeighbourRow[] | null; error: string | null } {
  const { client } = useExplorer();
  const [list, setList] = useState<string[] | null>(null);
  const [lengths, setLengths] = useState<Map<string, number | null>>(new Map());
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let alive = true;
    client.neighbours().then(
      (n) => alive && setList(n),
      (err) => alive && setError(errorText(err)),
    );
    return () => {
      alive = false;
    };
  }, [client]);

  useLive((event) => {
    if (event.type === "neighbours") setList(event.neighbours);
  });

  useEffect(() => {
    if (!list) return;
    let alive = true;
    const ask = () => {
      for (const address of list) {
        void neighbourLength(address).then((length) => {
          if (alive) setLengths((m) => new Map(m).set(address, length));
        });
      }
    };
    ask();
    // Neighbours' chains move on too; ask again now and then (it is a handful of small requests).
    const timer = setInterval(ask, 15_000);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, [list]);

  const rows = list
    ? list.map((address) => ({
        address,
        length: lengths.has(address) ? (lengths.get(address) ?? null) : undefined,
      }))
    : null;
  return { rows, error };
}
