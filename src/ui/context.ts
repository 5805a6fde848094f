// What every view needs from the page: the node client, the live feed and the node's status.
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { NodeStatus } from "./lib/wire.js";
import type { LiveFeed } from "./live-feed.js";
import type { NodeClient } from "./node-client.js";

export interface Explorer {
  client: NodeClient;
  feed: LiveFeed;
  /** The latest status; null until the first answer. */
  status: NodeStatus | null;
  /** Why the status could not be read, when it could not. */
  statusError: string | null;
  /** Asks the node again (coalesced). */
  refreshStatus(): void;
}

export const ExplorerContext = createContext<Explorer | null>(null);

export function useExplorer(): Explorer {
  const explorer = useContext(ExplorerContext);
  if (!explorer) throw new Error("useExplorer outside of <ExplorerContext.Provider>");
  return explorer;
}
