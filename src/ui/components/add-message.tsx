import { useState } from "preact/hooks";
import { useExplorer } from "../context.js";
import { formatCount } from "../lib/format.js";
import { utf8Bytes } from "../lib/live.js";
import { routeHref } from "../lib/route.js";
import { MessageTracker } from "./message-tracker.js";

/** A message the node accepted: its 200 answer means it is pending from then on. */
interface Submitted {
  id: string;
  message: string;
}

/** The form that submits a message (POST /add) and follows each one submitted into the chain. */
export function AddMessage() {
  const { client, refreshStatus } = useExplorer();
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [submitted, setSubmitted] = useState<Submitted[]>([]);

  async function submit(event: Event) {
    event.preventDefault();
    if (text.trim() === "") {
      setError("Write a message first.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const answer = await client.add(text);
      setSubmitted((list) => [{ id: answer.id, message: text }, ...list].slice(0, 10));
      setText("");
      refreshStatus();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  const bytes = utf8Bytes(text);
  return (
    <section class="panel" aria-labelledby="add-title">
      <h2 id="add-title">Add a message</h2>
      <form class="add-form" onSubmit={submit} noValidate>
        <label for="add-message">Message</label>
        <textarea
          id="add-message"
          name="message"
          rows={3}
          value={text}
          onInput={(e) => setText((e.currentTarget as HTMLTextAreaElement).value)}
          aria-describedby="add-hint"
          aria-invalid={error ? "true" : undefined}
        />
        <div class="form-row">
          <span id="add-hint" class="muted">
            {formatCount(bytes)} bytes of UTF-8
          </span>
          <button type="submit" disabled={busy}>
            {busy ? "Sending…" : "Add message"}
          </button>
        </div>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
      {submitted.length > 0 && (
        <ul class="submitted" aria-label="Messages you added">
          {submitted.map((s) => (
            <li key={s.id} class="submitted-item" data-id={s.id}>
              <p class="submitted-id">
                Id{" "}
                <a href={routeHref({ name: "message", id: s.id })}>
                  <code>{s.id}</code>
                </a>
              </p>
              <MessageTracker
                id={s.id}
                initial={{ id: s.id, message: s.message, status: "pending" }}
              />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
