// The simnet's way in: run inside the simnet's bridge namespace (`ip netns exec`),
// it listens on one Unix socket per node (a file, so reachable from the root
// namespace) and pipes each connection to that node's address, which exists
// only inside the simnet. Exits when its parent closes its stdin.
import { connect, createServer, type Server } from "node:net";

interface Route {
  socket: string;
  host: string;
  port: number;
}

const routes = JSON.parse(process.argv[2] ?? "[]") as Route[];
const servers: Server[] = [];

function listen(route: Route): Promise<void> {
  const server = createServer((client) => {
    const upstream = connect({ host: route.host, port: route.port });
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
  });
  servers.push(server);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(route.socket, () => resolve());
  });
}

await Promise.all(routes.map(listen));
process.stdout.write("ready\n");
process.stdin.resume();
process.stdin.on("close", () => process.exit(0));
process.stdin.on("end", () => process.exit(0));
