import { randomBytes } from "node:crypto";
import { DEFAULTS } from "../config/config.js";

/** One event as it goes on the wire, with its place in the sequence. */
export interface RingEntry {
  seq: number;
  text: string;
}

/**
 * Where a client stands, read from the `id:` of the last event it got:
 * `<run>-<seq>-<length>`: the server run that sent it (a node restarted since
 * has another), the event's number in that run, and the chain's length once
 * the client had applied it (what it holds of the chain).
 */
export interface EventPosition {
  run: string;
  seq: number;
  length: number;
}

const ID_PATTERN = /^([0-9a-f]{8})-(\d{1,15})-(\d{1,15})$/;

/** Reads an event id; null when it is not one of ours. */
export function parseEventId(id: string | undefined): EventPosition | null {
  const match = id === undefined ? null : ID_PATTERN.exec(id.trim());
  if (!match) return null;
  return { run: match[1] as string, seq: Number(match[2]), length: Number(match[3]) };
}

/**
 * The most recent events, bounded in count and bytes, so that a client that
 * reconnects with `Last-Event-ID` gets exactly what it missed; what is older
 * than the ring the caller re-sends from the chain.
 */
export class EventRing {
  /** Differs at each start, so that an id from before a restart is not taken for one of now. */
  readonly run = randomBytes(4).toString("hex");
  private entries: RingEntry[] = [];
  private bytes = 0;
  private seq = 0;

  constructor(
    private readonly maxEvents: number = DEFAULTS.eventRingEvents,
    private readonly maxBytes: number = DEFAULTS.eventRingBytes,
  ) {}

  /** The number of the last event (0 before any). */
  get lastSeq(): number {
    return this.seq;
  }

  /** The id of an event numbered `seq`, after which the client holds `length` blocks. */
  idOf(seq: number, length: number): string {
    return `${this.run}-${seq}-${length}`;
  }

  /** Most events it keeps. */
  get capacity(): number {
    return this.maxEvents;
  }

  /**
   * Numbers `count` events without keeping them (they were sent to no one):
   * what the ring held before is no longer a whole sequence, so it is let go,
   * and a client from before resumes from the chain.
   */
  skip(count: number): void {
    if (count <= 0) return;
    this.seq += count;
    this.entries = [];
    this.bytes = 0;
  }

  /** Numbers and formats a new event, keeps it, and returns its wire text. */
  push(name: string, payload: unknown, length: number): string {
    this.seq += 1;
    const text = `id: ${this.idOf(this.seq, length)}\nevent: ${name}\ndata: ${JSON.stringify(payload)}\n\n`;
    this.entries.push({ seq: this.seq, text });
    this.bytes += text.length;
    while (this.entries.length > this.maxEvents || this.bytes > this.maxBytes) {
      const dropped = this.entries.shift() as RingEntry;
      this.bytes -= dropped.text.length;
    }
    return text;
  }

  /**
   * The events after `position`, when the ring still holds every one of them;
   * null when it does not (another run, or events already dropped).
   */
  since(position: EventPosition): RingEntry[] | null {
    if (position.run !== this.run || position.seq > this.seq) return null;
    const first = this.entries[0]?.seq ?? this.seq + 1;
    if (position.seq < first - 1) return null;
    return this.entries.filter((entry) => entry.seq > position.seq);
  }
}
