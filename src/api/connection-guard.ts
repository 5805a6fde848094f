import type { Server } from "node:http";
import type { Socket } from "node:net";

export interface ConnectionGuardOptions {
  /** Most connections open at once. */
  maxConnections: number;
  /** Told each time a connection is closed to make room. */
  onShed?: () => void;
}

/**
 * Keeps at most `maxConnections` connections open. A new connection past the
 * limit is kept, and room is made by closing the oldest idle connection (no
 * request being served) of the remote address that holds the most
 * connections; only when that address has none idle, the oldest idle one of
 * any address; only when every connection is busy, the new one. So
 * connections that only sit there (an attack, or forgotten keep-alives) can
 * neither exhaust the open-file limit nor lock out a neighbour: whoever holds
 * the most pays first, and a newcomer's request always gets its chance.
 */
export function guardConnections(server: Server, opts: ConnectionGuardOptions): { open(): number } {
  /** Open connections by remote address, each oldest first (a Set keeps insertion order). */
  const byAddress = new Map<string, Set<Socket>>();
  const busy = new Map<Socket, number>();
  let open = 0;

  server.on("connection", (socket: Socket) => {
    const address = socket.remoteAddress ?? "";
    const sockets = byAddress.get(address) ?? new Set<Socket>();
    byAddress.set(address, sockets);
    sockets.add(socket);
    open++;
    socket.once("close", () => {
      open--;
      busy.delete(socket);
      sockets.delete(socket);
      if (sockets.size === 0 && byAddress.get(address) === sockets) byAddress.delete(address);
    });
    if (open <= opts.maxConnections) return;
    const victim = oldestIdle(heaviest(), socket) ?? oldestIdleAnywhere(socket) ?? socket;
    opts.onShed?.();
    victim.destroy();
  });
  server.on("request", (request, response) => {
    const socket = request.socket;
    busy.set(socket, (busy.get(socket) ?? 0) + 1);
    response.once("close", () => {
      const left = (busy.get(socket) ?? 1) - 1;
      if (left > 0) busy.set(socket, left);
      else busy.delete(socket);
    });
  });

  /** The connections of the address that holds the most. */
  function heaviest(): Set<Socket> {
    let most: Set<Socket> = new Set();
    for (const sockets of byAddress.values()) if (sockets.size > most.size) most = sockets;
    return most;
  }

  function oldestIdle(sockets: Iterable<Socket>, except: Socket): Socket | null {
    for (const socket of sockets) if (socket !== except && !busy.has(socket)) return socket;
    return null;
  }

  function oldestIdleAnywhere(except: Socket): Socket | null {
    for (const sockets of byAddress.values()) {
      const found = oldestIdle(sockets, except);
      if (found) return found;
    }
    return null;
  }

  return { open: () => open };
}
