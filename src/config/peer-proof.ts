import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * The network key's proof on a peer request (SPEC section 10). The sender
 * signs the method, the path with its query, the SHA-256 of the body, the
 * time, its node id and a fresh nonce with HMAC-SHA256 under the group's
 * 32-byte key; the receiver checks the MAC, the time against its own clock and
 * that the nonce is new. The answer carries a MAC of the request's nonce,
 * so that the caller knows it talks to a member too (a stranger's node can
 * neither answer nor be called).
 *
 * Header `x-blockchain-auth`: `v1 <ms> <nonce hex> <body sha256 hex> <mac hex>`.
 * The body's digest travels in the header so that the MAC is checked before
 * the body is read; the body is then checked against that digest.
 */
export const PEER_AUTH_HEADER = "x-blockchain-auth";
/** The answer's proof: the MAC of the request's nonce. */
export const PEER_ANSWER_HEADER = "x-blockchain-auth-answer";
/** Sent with a 401 by a node of a private network, so that an open node can tell why. */
export const PRIVATE_NETWORK_HEADER = "x-blockchain-network";

/** How far the sender's clock may be from the receiver's, either way. */
export const PEER_PROOF_WINDOW_MS = 60_000;

const EMPTY_BODY_SHA256 = createHash("sha256").update("").digest("hex");
const HEX_64 = /^[0-9a-f]{64}$/;
const HEX_32 = /^[0-9a-f]{32}$/;

/** What a request's proof covers. */
export interface SignedRequest {
  method: string;
  /** Path and query, exactly as sent on the request line. */
  url: string;
  /** The sender's node id (X-Blockchain-Node-Id), "" when it sends none. */
  nodeId: string;
}

/** The SHA-256 of a body in hex (the empty body's when there is none). */
export function bodyDigest(body: string | Buffer | undefined): string {
  if (body === undefined || body.length === 0) return EMPTY_BODY_SHA256;
  return createHash("sha256").update(body).digest("hex");
}

function requestMac(
  key: Buffer,
  req: SignedRequest,
  ms: number,
  nonce: string,
  digest: string,
): Buffer {
  return createHmac("sha256", key)
    .update(
      `blockchain-peer-v1\n${req.method.toUpperCase()}\n${req.url}\n${digest}\n${ms}\n${req.nodeId}\n${nonce}`,
    )
    .digest();
}

/** The header value that proves `req` (with `body`) comes from a holder of `key`. */
export function signRequest(
  key: Buffer,
  req: SignedRequest,
  body: string | Buffer | undefined,
  now: number = Date.now(),
): { header: string; nonce: string } {
  const nonce = randomBytes(16).toString("hex");
  const digest = bodyDigest(body);
  const mac = requestMac(key, req, now, nonce, digest).toString("hex");
  return { header: `v1 ${now} ${nonce} ${digest} ${mac}`, nonce };
}

/** The answer's proof for the request that carried `nonce`. */
export function answerProof(key: Buffer, nonce: string): string {
  return createHmac("sha256", key).update(`blockchain-answer-v1\n${nonce}`).digest("hex");
}

/** Whether `header` is the answer's proof for `nonce` (constant time). */
export function checkAnswerProof(key: Buffer, nonce: string, header: unknown): boolean {
  if (typeof header !== "string" || !HEX_64.test(header)) return false;
  return timingSafeEqual(Buffer.from(answerProof(key, nonce), "hex"), Buffer.from(header, "hex"));
}

/** Why a request's proof was refused: each says so in the 401's message. */
export type ProofRefusal =
  | { kind: "missing"; message: string }
  | { kind: "wrong"; message: string }
  | { kind: "skew"; message: string; skewMs: number }
  | { kind: "replay"; message: string }
  | { kind: "busy"; message: string };

/** A proof that passed: its nonce (for the answer's proof) and the body digest it vouches for. */
export interface AcceptedProof {
  nonce: string;
  digest: string;
}

/**
 * Remembers the nonces seen within the window, in three generations of one
 * window each: a nonce is remembered at least two windows, as long as its
 * time can pass the skew check. Bounded: a generation full refuses ("busy").
 */
export class NonceWindow {
  private generations: Set<string>[] = [new Set(), new Set(), new Set()];
  private rotatedAt: number;

  constructor(
    private readonly windowMs: number = PEER_PROOF_WINDOW_MS,
    private readonly maxPerWindow: number = 200_000,
    private readonly now: () => number = Date.now,
  ) {
    this.rotatedAt = now();
  }

  /** Records `nonce`; false if it was seen (a replay); null when too many came in this window. */
  admit(nonce: string): boolean | null {
    this.rotate();
    for (const seen of this.generations) if (seen.has(nonce)) return false;
    const current = this.generations[0] as Set<string>;
    if (current.size >= this.maxPerWindow) return null;
    current.add(nonce);
    return true;
  }

  private rotate(): void {
    const elapsed = this.now() - this.rotatedAt;
    if (elapsed < this.windowMs) return;
    const steps = Math.min(3, Math.floor(elapsed / this.windowMs));
    for (let i = 0; i < steps; i++) this.generations = [new Set(), ...this.generations.slice(0, 2)];
    this.rotatedAt = this.now();
  }
}

/** Checks one request's proof with the group's key; the nonce is then spent. */
export class PeerProofCheck {
  private readonly nonces: NonceWindow;

  constructor(
    private readonly key: Buffer,
    private readonly opts: { windowMs?: number; now?: () => number } = {},
  ) {
    this.nonces = new NonceWindow(opts.windowMs ?? PEER_PROOF_WINDOW_MS, 200_000, opts.now);
  }

  /** The proof's nonce and digest, or why it is refused. */
  check(req: SignedRequest, header: unknown): AcceptedProof | ProofRefusal {
    if (typeof header !== "string" || header === "") {
      return {
        kind: "missing",
        message: `this node belongs to a private network: the request carries no proof of the network key (${PEER_AUTH_HEADER})`,
      };
    }
    const [version, msText, nonce, digest, mac] = header.split(" ");
    const ms = Number(msText);
    if (
      version !== "v1" ||
      !/^[0-9]{1,16}$/.test(msText ?? "") ||
      !HEX_32.test(nonce ?? "") ||
      !HEX_64.test(digest ?? "") ||
      !HEX_64.test(mac ?? "")
    ) {
      return { kind: "wrong", message: "the proof of the network key is malformed" };
    }
    const expected = requestMac(this.key, req, ms, nonce as string, digest as string);
    if (!timingSafeEqual(expected, Buffer.from(mac as string, "hex"))) {
      return {
        kind: "wrong",
        message:
          "wrong network key: the request's proof does not match this node's network key (another group, or a changed request)",
      };
    }
    const windowMs = this.opts.windowMs ?? PEER_PROOF_WINDOW_MS;
    const skewMs = ms - (this.opts.now ?? Date.now)();
    if (Math.abs(skewMs) > windowMs) {
      const side = skewMs > 0 ? "ahead of" : "behind";
      return {
        kind: "skew",
        skewMs,
        message: `clock skew: the request's time is ${Math.round(Math.abs(skewMs) / 1000)} s ${side} this node's clock, beyond the network key's window of ${windowMs / 1000} s; set the clocks right (NTP)`,
      };
    }
    const fresh = this.nonces.admit(nonce as string);
    if (fresh === null) return { kind: "busy", message: "too many peer requests in this window" };
    if (!fresh) {
      return {
        kind: "replay",
        message: "replayed request: this proof of the network key was already used",
      };
    }
    return { nonce: nonce as string, digest: digest as string };
  }
}

/** Whether a check's outcome is a refusal. */
export function isRefusal(outcome: AcceptedProof | ProofRefusal): outcome is ProofRefusal {
  return "kind" in outcome;
}
