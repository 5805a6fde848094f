/** One Server-Sent Event as a client sees it. */
export interface SseEvent {
  id: string | undefined;
  event: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read payloads of many shapes
  data: any;
}

export interface SseStream {
  /** The next event (waits for it, up to `timeoutMs`). */
  next(timeoutMs?: number): Promise<SseEvent>;
  /** Events until (and with) the first that `stop` accepts. */
  until(stop: (event: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent[]>;
  close(): void;
}

/** Parses one event block (the text between blank lines); null for comments and retry only. */
function parseBlock(block: string): SseEvent | null {
  let id: string | undefined;
  let event = "message";
  const data: string[] = [];
  for (const line of block.split("\n")) {
    const colon = line.indexOf(":");
    if (colon === 0) continue;
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "id") id = value;
    else if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  if (data.length === 0) return null;
  return { id, event, data: JSON.parse(data.join("\n")) };
}

/** Opens GET /events (a real HTTP stream) and reads its events as they come. */
export async function openEvents(
  url: string,
  headers: Record<string, string> = {},
): Promise<SseStream> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}`);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const queue: SseEvent[] = [];
  let text = "";
  const next = async (timeoutMs = 20_000): Promise<SseEvent> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const queued = queue.shift();
      if (queued) return queued;
      if (Date.now() > deadline) throw new Error(`no event within ${timeoutMs} ms`);
      const timer = setTimeout(() => controller.abort(), deadline - Date.now());
      const { value, done } = await reader.read().finally(() => clearTimeout(timer));
      if (done) throw new Error("the event stream ended");
      text += decoder.decode(value, { stream: true });
      const blocks = text.split("\n\n");
      text = blocks.pop() ?? "";
      for (const block of blocks) {
        const event = parseBlock(block);
        if (event) queue.push(event);
      }
    }
  };
  return {
    next,
    async until(stop, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      const seen: SseEvent[] = [];
      for (;;) {
        const event = await next(Math.max(1, deadline - Date.now()));
        seen.push(event);
        if (stop(event)) return seen;
      }
    },
    close: () => controller.abort(),
  };
}
