import type { Static, TSchema } from "@sinclair/typebox";
import type { TypeCheck } from "@sinclair/typebox/compiler";
import {
  BINARY_RECORDS_MEDIA_TYPE,
  type ChainSerialization,
  RECORDS_MEDIA_TYPES,
} from "../config/config.js";
import type { NodeMetrics } from "../config/metrics.js";
import {
  checkAnswerProof,
  PEER_ANSWER_HEADER,
  PEER_AUTH_HEADER,
  PRIVATE_NETWORK_HEADER,
  signRequest,
} from "../config/peer-proof.js";
import type { Block } from "../core/block.js";
import type { Data } from "../core/data.js";
import { decodeBinaryRecords } from "../storage/codecs/binary-codec.js";
import { codecFor } from "../storage/codecs/chain-format.js";
import { RecordPage } from "../storage/codecs/record-page.js";
import { type HttpAnswer, HttpRequestError, httpRequest, keepAliveAgent } from "./http-client.js";
import { NODE_ID_HEADER } from "./node-id.js";
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
  | "original"
  /** Private and open do not mix: the peer cannot prove our network key, or wants one we lack. */
  | "other-network"
  /** A member refused our proof (a clock off by more than the window): said, counted as a failure. */
  | "refused";

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
  /** Our node id, sent as X-Blockchain-Node-Id. */
  nodeId?: string;
  timeoutMs: number;
  maxResponseBytes: number;
  /** The private network's key: every request is signed, every answer must prove it too. */
  networkKey?: Buffer;
  /** Peers serve HTTPS; their certificates must chain to `ca`. */
  tls?: { ca?: Buffer };
}

export interface PeerAnswer {
  status: number;
  body: unknown;
  /** The answer's size in bytes. */
  size?: number;
  /** A page of records (GET /blocks when the peer speaks them), their format, and the chain length it told. */
  records?: { format: ChainSerialization; bytes: Buffer; chainLength: number };
}

/** A page of the peer's blocks as records, and the length of its chain. */
export interface RecordsAnswer {
  page: RecordPage;
  length: number;
  /** The bytes the peer sent for the page (JSON or records). */
  bytes: number;
}

/** Most peers whose last round trip is remembered. */
const MAX_ROUND_TRIPS = 512;

/**
 * Talks HTTP to peers (node:http with keep-alive, any port): every request
 * has a time-out, reads at most `maxResponseBytes` (streamed, aborted
 * beyond), and every answer is checked against its schema before use.
 * `signal` aborts everything in flight.
 */
export class PeerClient {
  /** Requests made, whatever their outcome. */
  requests = 0;
  /** Peers a devnet's split cuts this node off from: requests to them fail as if unreachable. */
  cutOff: ReadonlySet<string> = new Set();
  /** Peer -> round trip of its last answered request, in ms. */
  private readonly roundTrips = new Map<string, number>();
  /** Connections to peers are kept open between requests (gossip, sync and push reuse them). */
  private readonly agent: ReturnType<typeof keepAliveAgent>;

  constructor(
    private readonly opts: PeerClientOptions,
    private readonly deps: { signal: AbortSignal; metrics: NodeMetrics | null },
  ) {
    this.agent = keepAliveAgent(opts.tls);
  }

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

  /** GET /data?after=&limit=: one page of the peer's pending messages, by id. */
  async pendingPage(peer: string, after: string, limit: number): Promise<Data[]> {
    const page = await this.getChecked(
      peer,
      `/data?after=${encodeURIComponent(after)}&limit=${limit}`,
      checkPendingList,
    );
    if (page.length > limit) {
      throw new PeerError(
        peer,
        "malformed",
        `sent ${page.length} messages, asked for at most ${limit}`,
      );
    }
    return page;
  }

  /**
   * GET /blocks?from&limit. The answer must hold consecutive blocks starting
   * at `from`, at most `limit` of them.
   */
  async blocks(peer: string, from: number, limit: number): Promise<BlocksPage> {
    const path = `/blocks?from=${from}&limit=${limit}`;
    // Binary records when the peer speaks them (no JSON to write, parse and schema-check);
    // a peer that does not answers JSON, as the original does.
    const answer = await this.send(
      peer,
      "GET",
      path,
      undefined,
      `${BINARY_RECORDS_MEDIA_TYPE}, application/json;q=0.5`,
    );
    if (answer.records) return this.binaryPage(peer, path, answer.records, from, limit);
    return this.blocksOf(peer, path, answer, from, limit);
  }

  /** A JSON page of blocks: its shape, its size and its indexes checked. */
  private blocksOf(
    peer: string,
    path: string,
    answer: PeerAnswer,
    from: number,
    limit: number,
  ): BlocksPage {
    const page = this.checked(peer, path, answer, checkBlocksPage);
    return this.inOrder(peer, page, from, limit);
  }

  /** The page, unless it holds more than `limit` blocks or not those from `from` on. */
  private inOrder(peer: string, page: BlocksPage, from: number, limit: number): BlocksPage {
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

  /**
   * GET /blocks?from&limit as records of `format` (the chain's own): the peer
   * is asked for records of that format first, of the other next, JSON last
   * (an older node), and what it answers becomes records of `format`. The
   * framing and the first block's index are checked here; every block is
   * checked by the validation.
   */
  async recordPage(
    peer: string,
    from: number,
    limit: number,
    format: ChainSerialization,
  ): Promise<RecordsAnswer> {
    const path = `/blocks?from=${from}&limit=${limit}`;
    const other = format === "json" ? "binary" : "json";
    const accept = `${RECORDS_MEDIA_TYPES[format]}, ${RECORDS_MEDIA_TYPES[other]};q=0.9, application/json;q=0.5`;
    const answer = await this.send(peer, "GET", path, undefined, accept);
    const malformed = (why: string) => {
      this.count("malformed");
      return new PeerError(peer, "malformed", `GET ${path} answered a malformed page (${why})`);
    };
    if (!answer.records) {
      const { blocks, length } = this.blocksOf(peer, path, answer, from, limit);
      try {
        const page = RecordPage.ofBlocks(codecFor(format), blocks, from);
        return { page, length, bytes: answer.size ?? 0 };
      } catch (err) {
        throw malformed((err as Error).message);
      }
    }
    const { bytes, chainLength } = answer.records;
    if (!Number.isSafeInteger(chainLength)) throw malformed("no chain length in X-Chain-Length");
    const page = RecordPage.frame(codecFor(answer.records.format), bytes, from);
    if (typeof page === "string") throw malformed(page);
    if (page.count > limit) throw malformed(`${page.count} blocks, asked for at most ${limit}`);
    const first = page.count > 0 ? page.blockAt(0) : null;
    if (typeof first === "string") throw malformed(`its first record: ${first}`);
    if (first && first.index !== from) {
      throw malformed(`its first block has index ${first.index}, asked from ${from}`);
    }
    this.count("ok");
    return { page, length: chainLength, bytes: bytes.length };
  }

  /** POST /blocks {blocks}: the peer's status code and answer (200, 409 and 400 are all normal). */
  async announceBlocks(peer: string, blocks: readonly Block[]): Promise<PeerAnswer> {
    return this.request(peer, "POST", "/blocks", { blocks });
  }

  /** POST /data {data}. */
  async relayData(peer: string, data: readonly Data[]): Promise<PeerAnswer> {
    try {
      return await this.request(peer, "POST", "/data", { data });
    } catch (err) {
      // Full (503), or its disk is (507): the peer is up and says so; neither a failure nor misbehaviour.
      if (err instanceof PeerError && (err.status === 503 || err.status === 507)) {
        return { status: err.status, body: null };
      }
      throw err;
    }
  }

  private binaryPage(
    peer: string,
    path: string,
    records: { format: ChainSerialization; bytes: Buffer; chainLength: number },
    from: number,
    limit: number,
  ): BlocksPage {
    const blocks =
      records.format === "binary"
        ? decodeBinaryRecords(records.bytes)
        : "records of a format not asked for";
    if (typeof blocks === "string" || !Number.isSafeInteger(records.chainLength)) {
      this.count("malformed");
      const why = typeof blocks === "string" ? blocks : "no chain length in X-Chain-Length";
      throw new PeerError(peer, "malformed", `GET ${path} answered a malformed page (${why})`);
    }
    this.count("ok");
    return this.inOrder(peer, { blocks, length: records.chainLength }, from, limit);
  }

  private async getChecked<T extends TSchema>(
    peer: string,
    path: string,
    check: TypeCheck<T>,
  ): Promise<Static<T>> {
    return this.checked(peer, path, await this.send(peer, "GET", path), check);
  }

  private checked<T extends TSchema>(
    peer: string,
    path: string,
    answer: PeerAnswer,
    check: TypeCheck<T>,
  ): Static<T> {
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
    /** The Accept header of a request that takes records (GET /blocks). */
    records?: string,
  ): Promise<PeerAnswer> {
    this.requests++;
    if (this.deps.signal.aborted) throw new PeerError(peer, "aborted", "the node is stopping");
    if (this.cutOff.has(peer)) {
      this.count("unreachable");
      throw new PeerError(peer, "unreachable", `${method} ${path}: split off by the devnet`);
    }
    let answer: HttpAnswer;
    const sentAt = performance.now();
    const json = body === undefined ? undefined : JSON.stringify(body);
    const key = this.opts.networkKey;
    const proof = key
      ? signRequest(key, { method, url: path, nodeId: this.opts.nodeId ?? "" }, json)
      : null;
    try {
      answer = await httpRequest(peer, {
        method,
        path,
        headers: {
          "x-blockchain-node": this.opts.self,
          ...(this.opts.nodeId ? { [NODE_ID_HEADER]: this.opts.nodeId } : {}),
          ...(proof ? { [PEER_AUTH_HEADER]: proof.header } : {}),
          accept: records ?? "application/json",
        },
        ...(json === undefined ? {} : { json }),
        timeoutMs: this.opts.timeoutMs,
        maxResponseBytes: this.opts.maxResponseBytes,
        signal: this.deps.signal,
        agent: this.agent,
        ...(this.opts.tls ? { tls: this.opts.tls } : {}),
      });
    } catch (err) {
      if (!(err instanceof HttpRequestError)) throw err;
      if (err.kind === "aborted") throw new PeerError(peer, "aborted", "the node is stopping");
      if (err.kind === "timeout") {
        this.count("timeout");
        throw new PeerError(
          peer,
          "timeout",
          `${method} ${path} got no answer within ${this.opts.timeoutMs} ms`,
        );
      }
      if (err.kind === "too-large") {
        this.count("too-large");
        throw new PeerError(peer, "too-large", err.detail);
      }
      this.count("unreachable");
      throw new PeerError(peer, "unreachable", `${method} ${path} failed: ${err.detail}`);
    }
    this.noteRoundTrip(peer, performance.now() - sentAt);
    this.checkMembership(
      peer,
      method,
      path,
      answer,
      key && proof ? { key, nonce: proof.nonce } : null,
    );
    if (answer.status >= 500) {
      this.count("server-error");
      throw new PeerError(
        peer,
        "server-error",
        `${method} ${path} answered ${answer.status}`,
        answer.status,
      );
    }
    const type = String(answer.headers["content-type"] ?? "")
      .split(";")[0]
      ?.trim();
    const format = records && answer.status === 200 ? formatOfRecords(type) : null;
    if (format) {
      const chainLength = Number(answer.headers["x-chain-length"] ?? Number.NaN);
      return {
        status: answer.status,
        body: undefined,
        records: { format, bytes: answer.body, chainLength },
      };
    }
    const parsed = parseJson(answer.body.toString("utf8"));
    if (parsed === undefined && answer.status === 200) {
      this.count("malformed");
      throw new PeerError(
        peer,
        "malformed",
        `${method} ${path} answered something that is not JSON`,
      );
    }
    return { status: answer.status, body: parsed, size: answer.body.length };
  }

  /** The round trip of the last request to `peer` that got an answer (ms), or null. */
  roundTripOf(peer: string): number | null {
    return this.roundTrips.get(peer) ?? null;
  }

  private noteRoundTrip(peer: string, ms: number): void {
    // Bounded like the peer table: the oldest peer goes first (a Map keeps insertion order).
    this.roundTrips.delete(peer);
    this.roundTrips.set(peer, Math.round(ms * 10) / 10);
    if (this.roundTrips.size > MAX_ROUND_TRIPS) {
      const oldest = this.roundTrips.keys().next().value;
      if (oldest !== undefined) this.roundTrips.delete(oldest);
    }
  }

  /**
   * Private and open never mix: with a key, an answer must prove it (a 401
   * says why the member refused us); without, a private node's 401 means
   * another network.
   */
  private checkMembership(
    peer: string,
    method: string,
    path: string,
    answer: HttpAnswer,
    signed: { key: Buffer; nonce: string } | null,
  ): void {
    const network = answer.headers[PRIVATE_NETWORK_HEADER];
    const said = () => {
      const parsed = parseJson(answer.body.toString("utf8")) as { message?: unknown } | undefined;
      return typeof parsed?.message === "string" ? parsed.message.slice(0, 300) : "no reason given";
    };
    if (!signed) {
      if (answer.status !== 401 || network !== "private") return;
      this.count("other-network");
      throw new PeerError(
        peer,
        "other-network",
        "belongs to a private network (it wants a network key this node does not have)",
        401,
      );
    }
    if (answer.status === 401 && network === "private" && said().startsWith("wrong network key")) {
      this.count("other-network");
      throw new PeerError(peer, "other-network", `is of another group: ${said()}`, 401);
    }
    if (answer.status === 401 && network === "private") {
      this.count("refused");
      throw new PeerError(peer, "refused", `${method} ${path} was refused: ${said()}`, 401);
    }
    if (checkAnswerProof(signed.key, signed.nonce, answer.headers[PEER_ANSWER_HEADER])) return;
    this.count("other-network");
    throw new PeerError(
      peer,
      "other-network",
      network === "open"
        ? "belongs to an open network (it has no network key)"
        : "cannot prove the network key (an open node, or another group's)",
      answer.status,
    );
  }

  /** Closes the idle keep-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  private count(outcome: string): void {
    this.deps.metrics?.peerRequests.inc({ outcome });
  }
}

/** The chain format whose records a content type names, or null. */
function formatOfRecords(type: string | undefined): ChainSerialization | null {
  if (type === RECORDS_MEDIA_TYPES.binary) return "binary";
  if (type === RECORDS_MEDIA_TYPES.json) return "json";
  return null;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
