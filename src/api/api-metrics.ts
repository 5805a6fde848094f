/** What the API records, as the node's metrics give it (prom-client's Histogram and Gauge fit). */
export interface ApiMetrics {
  httpRequestDuration: {
    observe(labels: { route: string; method: string; status: string }, seconds: number): void;
  };
  eventStreamClients: { set(value: number): void };
}
