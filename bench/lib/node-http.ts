import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";

/** How the bench reaches a node: HTTPS with the group's CA, a writer's token. */
export interface Access {
  ca?: Buffer;
  token?: string;
}

function open(
  url: string,
  access: Access,
  init: { method?: string; body?: string; timeoutMs?: number },
): Promise<IncomingMessage> {
  const target = new URL(url);
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: init.method ?? "GET",
        ...(access.ca ? { ca: access.ca } : {}),
        headers: {
          ...(init.body ? { "content-type": "application/json" } : {}),
          ...(access.token ? { authorization: `Bearer ${access.token}` } : {}),
        },
        ...(init.timeoutMs ? { timeout: init.timeoutMs } : {}),
      },
      resolve,
    );
    req.on("timeout", () => req.destroy(new Error(`${url} timed out`)));
    req.on("error", reject);
    req.end(init.body);
  });
}

/** A JSON request (fetch cannot take a CA of its own); throws unless 2xx. */
export async function jsonOf<T>(
  url: string,
  access: Access = {},
  init: { method?: string; body?: string } = {},
): Promise<T> {
  const res = await open(url, access, { ...init, timeoutMs: 10_000 });
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  if ((res.statusCode ?? 0) >= 300) throw new Error(`${url} answered ${res.statusCode}: ${text}`);
  return JSON.parse(text) as T;
}

/** Follows a node's event stream: each event's text, until `signal` aborts. */
export async function followEvents(
  url: string,
  access: Access,
  signal: AbortSignal,
  onEvent: (text: string) => void,
): Promise<void> {
  const res = await open(`${url}/events`, access, {});
  signal.addEventListener("abort", () => res.destroy(), { once: true });
  let buffer = "";
  res.setEncoding("utf8");
  res.on("data", (chunk: string) => {
    buffer += chunk;
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      onEvent(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf("\n\n");
    }
  });
  res.on("error", () => undefined);
}
