// The explorer's calls to the node's HTTP API (SPEC section 6).
import type { AddAnswer, Block, BlocksPage, Data, DataLookup, NodeStatus } from "./lib/wire.js";

/** A request that failed: the node's JSON `message` when it sent one, and the status (0: unreachable). */
export class NodeRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = "NodeRequestError";
  }
}

const TIMEOUT_MS = 10_000;

async function readError(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { message?: unknown };
    if (typeof body.message === "string") return body.message;
  } catch {
    // Not JSON: fall back to the status line.
  }
  return `${response.status} ${response.statusText}`.trim();
}

/** A node reached at `base` ("" for the page's own origin). */
export class NodeClient {
  readonly base: string;

  constructor(base: string) {
    this.base = base.replace(/\/+$/, "");
  }

  /** The node's address as shown to the user. */
  get label(): string {
    return this.base === "" ? window.location.origin : this.base;
  }

  private async request<T>(
    path: string,
    init: RequestInit = {},
    timeoutMs = TIMEOUT_MS,
  ): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        ...init,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const why =
        err instanceof DOMException && err.name === "TimeoutError" ? "timed out" : "is unreachable";
      throw new NodeRequestError(`the node at ${this.label} ${why}`, 0);
    }
    if (!response.ok) throw new NodeRequestError(await readError(response), response.status);
    return (await response.json()) as T;
  }

  status(): Promise<NodeStatus> {
    return this.request("/status");
  }

  blocks(from: number, limit: number): Promise<BlocksPage> {
    return this.request(`/blocks?from=${from}&limit=${limit}`);
  }

  block(index: number): Promise<Block> {
    return this.request(`/blocks/${index}`);
  }

  pending(): Promise<Data[]> {
    return this.request("/data");
  }

  async neighbours(): Promise<string[]> {
    const answer = await this.request<{ neighbours: string[] }>("/neighbours");
    return answer.neighbours;
  }

  /** A message's status, or null when the node knows no message with that id. */
  async lookup(id: string): Promise<DataLookup | null> {
    try {
      return await this.request<DataLookup>(`/data/${encodeURIComponent(id)}`);
    } catch (err) {
      if (err instanceof NodeRequestError && err.status === 404) return null;
      throw err;
    }
  }

  /** POST /add; with a writer's token when the node takes messages from its writers only. */
  add(message: string, token?: string): Promise<AddAnswer> {
    return this.request("/add", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ message }),
    });
  }

  /** The stream of live events; after `lastEventId` when given (EventSource cannot set the header). */
  events(lastEventId?: string): EventSource {
    const resume = lastEventId ? `?last_event_id=${encodeURIComponent(lastEventId)}` : "";
    return new EventSource(`${this.base}/events${resume}`);
  }
}

/** A neighbour's chain length, straight from its own API; null when it cannot be reached from this browser. */
export async function neighbourLength(address: string, timeoutMs = 3000): Promise<number | null> {
  try {
    const response = await fetch(`http://${address}/status`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) return null;
    const status = (await response.json()) as Partial<NodeStatus>;
    return typeof status.length === "number" ? status.length : null;
  } catch {
    return null;
  }
}

/** The node URL the page was served with (the meta tag), or "" for its own origin. */
export function nodeBaseFromPage(doc: Document): string {
  const meta = doc.querySelector('meta[name="blockchain-node"]');
  return meta?.getAttribute("content")?.trim() ?? "";
}
