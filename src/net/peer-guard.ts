/**
 * How the network's jobs report on a peer: `run` calls the peer and turns
 * every failure into the fitting consequence (a failure counted, or a ban for
 * misbehaviour), so that one bad peer never breaks a job for the others.
 */
export interface PeerGuard {
  /** Runs `call` against `peer`; its result, or undefined when it failed (already handled). */
  run<T>(peer: string, what: string, call: () => Promise<T>): Promise<T | undefined>;
  /** The peer sent something invalid: drop and ban it. */
  punish(peer: string, reason: string): void;
}
