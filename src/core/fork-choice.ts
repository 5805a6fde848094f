/** A chain as the fork choice sees it: its length (genesis included) and its tip's hash. */
export interface ChainHead {
  length: number;
  tip: string;
}

/**
 * The fork choice: whether `candidate` beats `current`. The longer chain
 * wins; of two as long, the one whose tip hash is smaller (as hex strings).
 */
export function winsForkChoice(candidate: ChainHead, current: ChainHead): boolean {
  if (candidate.length !== current.length) return candidate.length > current.length;
  return candidate.tip < current.tip;
}
