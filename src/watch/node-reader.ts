/** Thrown for any way a request to a node can fail: the follower marks the node unreachable. */
export class NodeReadError extends Error {
  constructor(
    readonly address: string,
    message: string,
  ) {
    super(`${address}: ${message}`);
    this.name = "NodeReadError";
  }
}

/** The URL of `path` on the node at `host:port`. */
export function nodeUrl(address: string, path: string): string {
  return `http://${address}${path}`;
}

/**
 * GET `path` of a node as JSON, within `timeoutMs` and at most `maxBytes`
 * (read as it streams, cut beyond), aborted by `signal`.
 */
export async function readJson(
  address: string,
  path: string,
  opts: { timeoutMs: number; maxBytes: number; signal: AbortSignal },
): Promise<unknown> {
  const signal = AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]);
  let response: Response;
  try {
    response = await fetch(nodeUrl(address, path), { signal });
  } catch (err) {
    throw new NodeReadError(address, `GET ${path} failed: ${(err as Error).message}`);
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    throw new NodeReadError(address, `GET ${path} answered ${response.status}`);
  }
  const text = await readCapped(response, opts.maxBytes, address, path);
  try {
    return JSON.parse(text);
  } catch {
    throw new NodeReadError(address, `GET ${path} answered something that is not JSON`);
  }
}

async function readCapped(
  response: Response,
  maxBytes: number,
  address: string,
  path: string,
): Promise<string> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        throw new NodeReadError(address, `GET ${path} answered more than ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof NodeReadError) throw err;
    throw new NodeReadError(address, `GET ${path} broke off: ${(err as Error).message}`);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** One Server-Sent Event. */
export interface StreamEvent {
  id: string | null;
  event: string;
  data: string;
}

/** Splits an SSE text stream into events; feed it chunks, it calls `onEvent` for each whole event. */
export class SseParser {
  private rest = "";

  constructor(private readonly onEvent: (event: StreamEvent) => void) {}

  push(chunk: string): void {
    const blocks = (this.rest + chunk).split("\n\n");
    this.rest = blocks.pop() ?? "";
    // One event larger than this is no event of a node's: drop what is held.
    if (this.rest.length > 1024 * 1024) this.rest = "";
    for (const block of blocks) {
      const event = parseBlock(block);
      if (event) this.onEvent(event);
    }
  }
}

function parseBlock(block: string): StreamEvent | null {
  let id: string | null = null;
  let event = "message";
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "id") id = value;
    else if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  return data.length === 0 ? null : { id, event, data: data.join("\n") };
}
