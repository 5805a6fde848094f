import type { Server } from "node:http";
import type { Socket } from "node:net";

export interface ConnectionGuardOptions {
  /** Most connections open at once. */
  maxConnections: number;
  /** A connection younger than this is never closed to make room (its request may be on its way). */
  graceMs?: number;
  /** Told each time a connection is closed to make room. */
  onShed?: () => void;
}

/**
 * Keeps at most `maxConnections` connections open. When a new one would pass
 * the limit, the oldest idle connection (no request being served, older than
 * the grace period) is closed to make room; if there is none, the new one
 * is. So connections that only sit there (an attack, or forgotten
 * keep-alives) can neither exhaust the open-file limit nor lock out a
 * neighbour whose request arrives at once.
 */
export function guardConnections(server: Server, opts: ConnectionGuardOptions): { open(): number } {
  const graceMs = opts.graceMs ?? 1_000;
  /** Open connections, oldest first (a Map keeps insertion order), with when each came. */
  const sockets = new Map<Socket, number>();
  const busy = new Map<Socket, number>();

  server.on("connection", (socket: Socket) => {
    sockets.set(socket, Date.now());
    socket.once("close", () => {
      sockets.delete(socket);
      busy.delete(socket);
    });
    if (sockets.size <= opts.maxConnections) return;
    const victim = oldestIdle(socket) ?? socket;
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

  function oldestIdle(except: Socket): Socket | null {
    const cutoff = Date.now() - graceMs;
    for (const [socket, since] of sockets) {
      // Oldest first: once one is too young, all later ones are too.
      if (since > cutoff) return null;
      if (socket !== except && !busy.has(socket)) return socket;
    }
    return null;
  }

  return { open: () => sockets.size };
}
