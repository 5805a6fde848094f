import { useState } from "preact/hooks";
import { useExplorer } from "../context.js";
import { formatCount } from "../lib/format.js";
import { utf8Bytes } from "../lib/live.js";
import { routeHref } from "../lib/route.js";
import { NodeRequestError } from "../node-client.js";
import { MessageTracker } from "./message-tracker.js";

/** Where the writer's token is kept for this tab (never beyond it). */
const TOKEN_KEY = "blockchain-writer-token";

function storedToken(): string {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? "";
  } catch {
    return "";
  }
}

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
  // The token field shows once the node asks for one (a 401), or when one was given before.
  const [token, setToken] = useState(storedToken);
  const [needsToken, setNeedsToken] = useState(() => storedToken() !== "");

  async function submit(event: Event) {
    event.preventDefault();
    if (text.trim() === "") {
      setError("Write a message first.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const answer = await client.add(text, token.trim() || undefined);
      if (token.trim()) sessionStorage.setItem(TOKEN_KEY, token.trim());
      setSubmitted((list) => [{ id: answer.id, message: text }, ...list].slice(0, 10));
      setText("");
      refreshStatus();
    } catch (err) {
      if (err instanceof NodeRequestError && err.status === 401) {
        setNeedsToken(true);
        setError(
          token.trim()
            ? "The node refused this token: check it and try again."
            : "This node takes messages from its writers only: enter a writer's token.",
        );
        return;
      }
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
        {needsToken && (
          <>
            <label for="add-token">Writer token</label>
            <input
              id="add-token"
              name="token"
              type="password"
              autoComplete="off"
              value={token}
              onInput={(e) => setToken((e.currentTarget as HTMLInputElement).value)}
            />
          </>
        )}
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
