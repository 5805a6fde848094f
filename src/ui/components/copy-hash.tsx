import { useEffect, useState } from "preact/hooks";
import { shortHash } from "../lib/format.js";

/** Copies through the Clipboard API, or the older selection route where that API is absent (plain http). */
async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "offscreen";
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}

interface Props {
  hash: string | null | undefined;
  label: string;
}

/** A shortened hash that copies the whole one when clicked (or activated with the keyboard). */
export function CopyHash({ hash, label }: Props) {
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(null), 1500);
    return () => clearTimeout(timer);
  }, [copied]);

  if (hash === undefined) return <span class="hash pending-hash">computing…</span>;
  if (hash === null) return <span class="hash">none (genesis)</span>;
  return (
    <button
      type="button"
      class="hash"
      title={`${hash} (click to copy)`}
      data-hash={hash}
      onClick={async () => setCopied((await copyText(hash)) ? "yes" : "failed")}
    >
      {/* The name is the visible text, then what the button does (WCAG 2.5.3, label in name). */}
      <code>{shortHash(hash)}</code>
      <span class="visually-hidden">, copy the {label}</span>
      <span class="copy-state" aria-live="polite">
        {copied === "yes" ? "copied" : copied === "failed" ? "copy failed" : ""}
      </span>
    </button>
  );
}
