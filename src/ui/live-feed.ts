// One EventSource for the whole page, fanned out to the views that care.
import type { Block, Data, ReorgEvent } from "./lib/wire.js";

export type LiveEvent =
  | { type: "block"; block: Block }
  | { type: "data"; data: Data }
  | { type: "reorg"; reorg: ReorgEvent }
  | { type: "neighbours"; neighbours: string[] }
  /** The stream came back after a break: events may have been missed, views fetch again. */
  | { type: "resync" };

export type FeedState = "connecting" | "live" | "reconnecting";

type Listener = (event: LiveEvent) => void;

/** Pause before a stream that EventSource gave up on is opened again. */
const REOPEN_MS = 3000;

/** Parses one SSE payload; a malformed one is dropped rather than breaking the page. */
function parse<T>(message: MessageEvent): T | null {
  try {
    return JSON.parse(String(message.data)) as T;
  } catch {
    return null;
  }
}

export class LiveFeed {
  private source: EventSource | null = null;
  private readonly listeners = new Set<Listener>();
  private readonly stateListeners = new Set<(state: FeedState) => void>();
  private hadBreak = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** The id of the last event received: a stream opened again resumes after it. */
  private lastEventId: string | undefined;
  state: FeedState = "connecting";

  constructor(private readonly open: (lastEventId?: string) => EventSource) {}

  /**
   * Opens the stream. EventSource itself reconnects after a break (the node sends `retry`)
   * and sends Last-Event-ID, so the node replays what was missed; a stream this class opens
   * again passes the last id itself.
   */
  connect(): void {
    if (this.source) return;
    const source = this.open(this.lastEventId);
    this.source = source;
    source.onopen = () => {
      this.setState("live");
      if (this.hadBreak) this.emit({ type: "resync" });
      this.hadBreak = false;
    };
    source.onerror = () => {
      this.hadBreak = true;
      this.setState("reconnecting");
      // EventSource retries a dropped connection by itself, but gives up for good after
      // an answer that is not a stream (a proxy's 502, a node still starting): open a new one.
      if (source.readyState === EventSource.CLOSED) {
        this.source = null;
        this.retryTimer = setTimeout(() => this.connect(), REOPEN_MS);
      }
    };
    source.addEventListener("block", (m) => {
      this.noteId(m);
      const block = parse<Block>(m);
      if (block) this.emit({ type: "block", block });
    });
    source.addEventListener("data", (m) => {
      this.noteId(m);
      const data = parse<Data>(m);
      if (data) this.emit({ type: "data", data });
    });
    source.addEventListener("reorg", (m) => {
      this.noteId(m);
      const reorg = parse<ReorgEvent>(m);
      if (reorg) this.emit({ type: "reorg", reorg });
    });
    source.addEventListener("neighbours", (m) => {
      this.noteId(m);
      const neighbours = parse<string[]>(m);
      if (neighbours) this.emit({ type: "neighbours", neighbours });
    });
  }

  private noteId(message: MessageEvent): void {
    if (message.lastEventId) this.lastEventId = message.lastEventId;
  }

  close(): void {
    clearTimeout(this.retryTimer);
    this.source?.close();
    this.source = null;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onState(listener: (state: FeedState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  private setState(state: FeedState): void {
    if (state === this.state) return;
    this.state = state;
    for (const l of this.stateListeners) l(state);
  }

  private emit(event: LiveEvent): void {
    for (const l of this.listeners) l(event);
  }
}
