import { routeHref } from "../lib/route.js";
import type { Block } from "../lib/wire.js";
import { CopyHash } from "./copy-hash.js";
import { TimeAgo } from "./time-ago.js";

interface Props {
  block: Block;
  hash: string | undefined;
  now: number;
}

/** One block of the chain as a card: index, message, time, proof, hash and previous hash. */
export function BlockCard({ block, hash, now }: Props) {
  const titleId = `block-${block.index}-title`;
  return (
    <article class="block-card" aria-labelledby={titleId} data-index={block.index}>
      <header class="block-card-head">
        <h3 id={titleId}>
          <a href={routeHref({ name: "block", index: block.index })}>Block #{block.index}</a>
        </h3>
        <TimeAgo ms={block.timestamp} now={now} />
      </header>
      <p class="message">{block.data.message}</p>
      <dl class="facts">
        <div>
          <dt>Proof</dt>
          <dd>
            <code>{block.proof ?? "none"}</code>
          </dd>
        </div>
        <div>
          <dt>Hash</dt>
          <dd>
            <CopyHash hash={hash} label="hash" />
          </dd>
        </div>
        <div>
          <dt>Previous</dt>
          <dd>
            <CopyHash hash={block.previous_hash} label="previous hash" />
          </dd>
        </div>
      </dl>
    </article>
  );
}
