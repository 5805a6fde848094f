import { render } from "preact";
import { App } from "./app.js";
import { LiveFeed } from "./live-feed.js";
import { NodeClient, nodeBaseFromPage } from "./node-client.js";

const client = new NodeClient(nodeBaseFromPage(document));
const feed = new LiveFeed((lastEventId) => client.events(lastEventId));
feed.connect();
const root = document.getElementById("app");
if (root) {
  root.textContent = "";
  render(<App client={client} feed={feed} />, root);
}
