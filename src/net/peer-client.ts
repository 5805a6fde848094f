import type { Static, TSchema } from "@sinclair/typebox";
import type { TypeCheck } from "@sinclair/typebox/compiler";
import type { NodeMetrics } from "../config/metrics.js";
import type { Block } from "../core/block.js";
import type { Data } from "../core/data.js";
import { answersLikeOriginal, ORIGINAL_PEER_REASON } from "./original-peer.js";
import {
  type BlocksPage,
  checkBlocksPage,
  checkNeighbours,
  checkPendingList,
  checkStatus,
  type PeerStatus,
} from "./peer-schemas.js";

/**
 * Why a request to a peer failed. `unreachable`, `timeout` and `server-error`
 * are failures (the peer may be down); `too-large` and `malformed` are
 * misbehaviour (the peer is dropped and banned); `aborted` means we stopped.
 */
export type PeerErrorKind =
  | "unreachable"
  | "timeout"
  | "server-error"
  | "status"
  | "too-large"
  | "malformed"
  | "aborted"
  /** The peer runs the original Python node: another network, neither down nor misbehaving. */
  | "original";

/** A request to a peer that did not give a usable answer. */
export class PeerError extends Error {
  readonly code = "PEER_ERROR";
  constructor(
    readonly peer: string,
    readonly kind: PeerErrorKind,
    detail: string,
    readonly status: number | null = null,
  ) {
    super(`${peer}: ${detail}`);
    this.name = "PeerError";
  }

  /** Whether this answer proves the peer misbehaves (rather than being down or slow). */
  get misbehaviour(): boolean {
    return this.kind === "too-large" || this.kind === "malformed";
  }
}

export interface PeerClientOptions {
  /** Our advertised address, sent as X-Blockchain-Node. */
  self: string;
  timeoutMs: number;
  maxResponseBytes: number;
}

export interface PeerAnswer {
  status: number;
  body: unknown;
}

/**
 * Talks HTTP to peers: every request has a time-out, reads at most
 * `maxResponseBytes` (streamed, aborted beyond), and every answer is checked
 * against its schema before use. `signal` aborts everything in flight.
 */
export class PeerClient {
  /** Requests made, whatever their outcome. */
  requests = 0;

  constructor(
    private readonly opts: PeerClientOptions,
    private readonly deps: { signal: AbortSignal; metrics: NodeMetrics | null },
  ) {}

  /** GET /status. */
  async status(peer: string): Promise<PeerStatus> {
    return this.getChecked(peer, "/status", checkStatus);
  }

  /** GET /neighbours: the raw entries (each is checked by the caller). */
  async neighbours(peer: string): Promise<unknown[]> {
    return (await this.getChecked(peer, "/neighbours", checkNeighbours)).neighbours;
  }

  /** GET /data: the peer's pending messages. */
  async pending(peer: string): Promise<Data[]> {
    return this.getChecked(peer, "/data", checkPendingList);
  }

  /**
   * GET /blocks?from&limit. The answer must hold consecutive blocks starting
   * at `from`, at most `limit` of them.
   */
  async blocks(peer: string, from: number, limit: number): Promise<BlocksPage> {
    const page = await this.getChecked(
      peer,
      `/blocks?from=${from}&limit=${limit}`,
      checkBlocksPage,
    );
    if (page.blocks.length > limit) {
      throw new PeerError(
        peer,
        "malformed",
        `sent ${page.blocks.length} blocks, asked for at most ${limit}`,
      );
    }
    for (const [i, block] of page.blocks.entries()) {
      if (block.index !== from + i) {
        throw new PeerError(
          peer,
          "malformed",
          `block ${i} of the page from ${from} has index ${block.index}`,
        );
      }
    }
    return page;
  }

  /** POST /blocks {blocks}: the peer's status code and answer (200, 409 and 400 are all normal). */
  async announceBlocks(peer: string, blocks: readonly Block[]): Promise<PeerAnswer> {
    return this.request(peer, "POST", "/blocks", { blocks });
  }

  /** POST /data {data}. */
  async relayData(peer: string, data: readonly Data[]): Promise<PeerAnswer> {
    return this.request(peer, "POST", "/data", { data });
  }

  private async getChecked<T extends TSchema>(
    peer: string,
    path: string,
    check: TypeCheck<T>,
  ): Promise<Static<T>> {
    const answer = await this.send(peer, "GET", path);
    if (answersLikeOriginal(path, answer.status, answer.body)) {
      this.count("original");
      throw new PeerError(peer, "original", ORIGINAL_PEER_REASON);
    }
    if (answer.status !== 200) {
      this.count("status");
      throw new PeerError(peer, "status", `GET ${path} answered ${answer.status}`, answer.status);
    }
    if (!check.Check(answer.body)) {
      const first = check.Errors(answer.body).First();
      const where = first ? `${first.path || "/"}: ${first.message}` : "unexpected shape";
      this.count("malformed");
      throw new PeerError(peer, "malformed", `GET ${path} answered a malformed body (${where})`);
    }
    this.count("ok");
    return answer.body as Static<T>;
  }

  /** A request whose answer is used as it is (any status below 500); counted as a success. */
  async request(
    peer: string,
    method: "GET" | "POST",
    path: string,
    body?: unknown,
  ): Promise<PeerAnswer> {
    const answer = await this.send(peer, method, path, body);
    this.count("ok");
    return answer;
  }

  /** One request with a time-out and a size cap; throws PeerError for every way it can fail. */
  private async send(
    peer: string,
    method: "GET" | "POST",
    path: string,
    body?: unknown,
  ): Promise<PeerAnswer> {
    this.requests++;
    const controller = new AbortController();
    const onStop = () => controller.abort();
    if (this.deps.signal.aborted) throw new PeerError(peer, "aborted", "the node is stopping");
    this.deps.signal.addEventListener("abort", onStop, { once: true });
    let timedOut = false;
    // A timer of our own (not AbortSignal.timeout) so that it is cleared as soon as the answer is read.
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.opts.timeoutMs);
    try {
      const res = await fetch(`http://${peer}${path}`, {
        method,
        headers: {
          "x-blockchain-node": this.opts.self,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? null : JSON.stringify(body),
        signal: controller.signal,
        redirect: "manual",
      });
      const text = await this.readCapped(peer, res);
      if (res.status >= 500) {
        this.count("server-error");
        throw new PeerError(
          peer,
          "server-error",
          `${method} ${path} answered ${res.status}`,
          res.status,
        );
      }
      const parsed = parseJson(text);
      if (parsed === undefined && res.status === 200) {
        this.count("malformed");
        throw new PeerError(
          peer,
          "malformed",
          `${method} ${path} answered something that is not JSON`,
        );
      }
      return { status: res.status, body: parsed };
    } catch (err) {
      if (err instanceof PeerError) throw err;
      if (this.deps.signal.aborted) throw new PeerError(peer, "aborted", "the node is stopping");
      if (timedOut) {
        this.count("timeout");
        throw new PeerError(
          peer,
          "timeout",
          `${method} ${path} got no answer within ${this.opts.timeoutMs} ms`,
        );
      }
      this.count("unreachable");
      throw new PeerError(peer, "unreachable", `${method} ${path} failed: ${causeOf(err)}`);
    } finally {
      clearTimeout(timer);
      this.deps.signal.removeEventListener("abort", onStop);
    }
  }

  /** Reads the body as text, at most maxResponseBytes, cancelling the stream beyond. */
  private async readCapped(peer: string, res: Response): Promise<string> {
    const max = this.opts.maxResponseBytes;
    const declared = Number(res.headers.get("content-length") ?? Number.NaN);
    if (declared > max) {
      await res.body?.cancel().catch(() => undefined);
      this.count("too-large");
      throw new PeerError(
        peer,
        "too-large",
        `answer of ${declared} bytes is larger than the limit of ${max}`,
      );
    }
    if (!res.body) return "";
    const chunks: Uint8Array[] = [];
    let total = 0;
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > max) {
        await reader.cancel().catch(() => undefined);
        this.count("too-large");
        throw new PeerError(peer, "too-large", `answer is larger than the limit of ${max} bytes`);
      }
      chunks.push(value);
    }
    return Buffer.concat(chunks, total).toString("utf8");
  }

  private count(outcome: string): void {
    this.deps.metrics?.peerRequests.inc({ outcome });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}
