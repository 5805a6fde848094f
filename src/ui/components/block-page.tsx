import { useEffect, useRef, useState } from "preact/hooks";
import { useExplorer } from "../context.js";
import { useLive, useNow } from "../hooks.js";
import { blockHash } from "../lib/block-hash.js";
import { coalesce } from "../lib/coalesce.js";
import { formatCount, formatDuration, isoTime, plural } from "../lib/format.js";
import { confirmations } from "../lib/live.js";
import { routeHref } from "../lib/route.js";
import type { Block } from "../lib/wire.js";
import { CopyHash } from "./copy-hash.js";
import { TimeAgo } from "./time-ago.js";

interface Neighbourhood {
  previous: Block | null;
  block: Block | null;
  next: Block | null;
  length: number;
}

/** A block's own page: every field, its hash (checked against the next block's link) and its neighbours in the chain. */
export function BlockPage({ index }: { index: number }) {
  const { client, status } = useExplorer();
  const [view, setView] = useState<Neighbourhood | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [hash, setHash] = useState<string | undefined>(undefined);
  const refresh = useRef<() => Promise<void>>(async () => undefined);
  const now = useNow();

  useEffect(() => {
    let alive = true;
    setView(null);
    setHash(undefined);
    refresh.current = coalesce(async () => {
      try {
        // One request brings the block with both neighbours: the interval and the links need them.
        const from = Math.max(0, index - 1);
        const answer = await client.blocks(from, index - from + 2);
        const find = (i: number) => answer.blocks.find((b) => b.index === i) ?? null;
        if (!alive) return;
        setView({
          previous: find(index - 1),
          block: find(index),
          next: find(index + 1),
          length: answer.length,
        });
        setError(null);
      } catch (err) {
        if (alive) setError(err instanceof Error ? err.message : String(err));
      }
    });
    void refresh.current();
    return () => {
      alive = false;
    };
  }, [client, index]);

  const block = view?.block ?? null;
  useEffect(() => {
    if (!block) return;
    let alive = true;
    void blockHash(block).then((h) => alive && setHash(h));
    return () => {
      alive = false;
    };
  }, [block]);

  useLive((event) => {
    if (event.type === "resync") return void refresh.current();
    if (event.type === "reorg" && event.reorg.fork_index <= index + 1)
      return void refresh.current();
    if (event.type === "block" && (event.block.index === index || event.block.index === index + 1))
      void refresh.current();
  });

  const heading = (
    <h1 tabIndex={-1} id="page-title">
      Block #{formatCount(index)}
    </h1>
  );
  if (error && !view) {
    return (
      <section>
        {heading}
        <p class="error" role="alert">
          {error}
        </p>
      </section>
    );
  }
  if (!view) {
    return (
      <section>
        {heading}
        <p class="muted" role="status">
          Loading…
        </p>
      </section>
    );
  }
  if (!block) {
    return (
      <section>
        {heading}
        <p role="status">
          There is no block {formatCount(index)} yet: the chain has {plural(view.length, "block")}.
          This page shows it as soon as it is mined.
        </p>
        {view.length > 0 && (
          <a href={routeHref({ name: "block", index: view.length - 1 })}>
            Go to the tip (block {formatCount(view.length - 1)})
          </a>
        )}
      </section>
    );
  }

  const length = Math.max(view.length, status?.length ?? 0);
  const linkOk = view.next && hash ? view.next.previous_hash === hash : null;
  return (
    <section class="block-page" data-index={block.index}>
      {heading}
      <nav class="block-nav" aria-label="Neighbouring blocks">
        {block.index > 0 ? (
          <a href={routeHref({ name: "block", index: block.index - 1 })} rel="prev">
            ← Block {formatCount(block.index - 1)}
          </a>
        ) : (
          <span class="pager-off">← (genesis)</span>
        )}
        {view.next ? (
          <a href={routeHref({ name: "block", index: block.index + 1 })} rel="next">
            Block {formatCount(block.index + 1)} →
          </a>
        ) : (
          <span class="pager-off">the tip</span>
        )}
      </nav>
      <div class="panel">
        <h2 class="visually-hidden">Message</h2>
        <p class="message message-full">{block.data.message}</p>
        <dl class="facts facts-wide">
          <div>
            <dt>Message id</dt>
            <dd>
              <a href={routeHref({ name: "message", id: block.data.id })}>
                <code>{block.data.id}</code>
              </a>
            </dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>
              {isoTime(block.timestamp)} (<TimeAgo ms={block.timestamp} now={now} />)
              {view.previous && (
                <span class="muted">
                  {" "}
                  · {formatDuration(block.timestamp - view.previous.timestamp)} after the previous
                  block
                </span>
              )}
            </dd>
          </div>
          <div>
            <dt>Proof</dt>
            <dd>
              <code>{block.proof ?? "none (genesis)"}</code>
            </dd>
          </div>
          <div>
            <dt>Hash</dt>
            <dd>
              <CopyHash hash={hash} label="hash" />
              {hash && <code class="full-hash">{hash}</code>}
              {linkOk === true && (
                <span class="badge badge-on">linked by block {formatCount(block.index + 1)}</span>
              )}
              {linkOk === false && (
                <span class="badge badge-bad">
                  does not match block {formatCount(block.index + 1)}'s previous hash
                </span>
              )}
            </dd>
          </div>
          <div>
            <dt>Previous hash</dt>
            <dd>
              <CopyHash hash={block.previous_hash} label="previous hash" />
              {block.previous_hash && <code class="full-hash">{block.previous_hash}</code>}
            </dd>
          </div>
          <div>
            <dt>Confirmations</dt>
            <dd data-confirmations={confirmations(block.index, length)}>
              {formatCount(confirmations(block.index, length))}
            </dd>
          </div>
        </dl>
      </div>
    </section>
  );
}
