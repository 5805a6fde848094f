import { useState } from "preact/hooks";
import { useExplorer } from "../context.js";
import { routeHref } from "../lib/route.js";
import { resolveSearch } from "../lib/search.js";

/** Search by block index or message id; says why when a query leads nowhere. */
export function SearchBox() {
  const { status } = useExplorer();
  const [query, setQuery] = useState("");
  const [problem, setProblem] = useState<string | null>(null);

  function submit(event: Event) {
    event.preventDefault();
    const result = resolveSearch(query, status?.length ?? Number.MAX_SAFE_INTEGER, status?.tip);
    if (!result.ok) {
      setProblem(result.reason);
      return;
    }
    setProblem(null);
    setQuery("");
    window.location.hash = routeHref(result.route);
  }

  return (
    <search class="search-area">
      <form class="search" onSubmit={submit}>
        <label for="search-input" class="visually-hidden">
          Block index or message id
        </label>
        <input
          id="search-input"
          type="search"
          placeholder="Block index or message id"
          value={query}
          onInput={(e) => setQuery((e.currentTarget as HTMLInputElement).value)}
          aria-describedby={problem ? "search-problem" : undefined}
          autoComplete="off"
          spellcheck={false}
        />
        <button type="submit">Search</button>
        {problem && (
          <p id="search-problem" class="search-problem error" role="alert">
            {problem}
          </p>
        )}
      </form>
    </search>
  );
}
