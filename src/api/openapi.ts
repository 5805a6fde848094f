import type { FastifyInstance, RouteOptions } from "fastify";
import { VERSION } from "../config/version.js";
import { SHARED_SCHEMAS } from "./schemas.js";

type JsonObject = Record<string, unknown>;

/** Turns `$ref: "Block"` (fastify's shared-schema ids) into OpenAPI component references. */
function toOpenApi(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toOpenApi);
  if (typeof schema !== "object" || schema === null) return schema;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "$id") continue;
    if (key === "$ref" && typeof value === "string" && !value.startsWith("#")) {
      out.$ref = `#/components/schemas/${value}`;
    } else out[key] = toOpenApi(value);
  }
  // TypeBox marks types with symbols, which JSON drops anyway; nullable unions stay as anyOf.
  return out;
}

function parametersOf(route: RouteOptions): JsonObject[] {
  const schema = (route.schema ?? {}) as JsonObject;
  const params: JsonObject[] = [];
  for (const [where, key] of [
    ["path", "params"],
    ["query", "querystring"],
  ] as const) {
    const obj = schema[key] as { properties?: JsonObject; required?: string[] } | undefined;
    for (const [name, prop] of Object.entries(obj?.properties ?? {})) {
      params.push({
        name,
        in: where,
        required: where === "path" || (obj?.required ?? []).includes(name),
        schema: toOpenApi(prop),
      });
    }
  }
  return params;
}

function operationOf(route: RouteOptions): JsonObject {
  const schema = (route.schema ?? {}) as JsonObject;
  const produces = (schema.produces as string[] | undefined)?.[0] ?? "application/json";
  const responses: JsonObject = {};
  for (const [code, body] of Object.entries(
    (schema.response as JsonObject | undefined) ?? { 200: {} },
  )) {
    responses[code] = {
      description: code === "200" ? "OK" : "Error",
      content: { [produces]: { schema: toOpenApi(body) } },
    };
  }
  const op: JsonObject = { summary: schema.summary ?? "", responses };
  const parameters = parametersOf(route);
  if (parameters.length > 0) op.parameters = parameters;
  if (schema.body)
    op.requestBody = {
      required: true,
      content: { "application/json": { schema: toOpenApi(schema.body) } },
    };
  return op;
}

/** Collects every route as it is registered and serves the OpenAPI 3 document at /openapi.json. */
export function registerOpenApi(app: FastifyInstance): void {
  const routes: RouteOptions[] = [];
  app.addHook("onRoute", (route) => {
    if (route.url !== "*" && !route.url.startsWith("/ui/") && route.method !== "HEAD")
      routes.push(route);
  });
  let cached: JsonObject | null = null;
  app.get("/openapi.json", { schema: { summary: "This document" } }, async () => {
    cached ??= buildDocument(routes);
    return cached;
  });
}

function buildDocument(routes: RouteOptions[]): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const route of routes) {
    const path = route.url.replace(/:([A-Za-z_]+)/g, "{$1}");
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === "HEAD" || method === "OPTIONS") continue;
      paths[path] ??= {};
      (paths[path] as JsonObject)[method.toLowerCase()] = operationOf(route);
    }
  }
  const schemas: JsonObject = {};
  for (const schema of SHARED_SCHEMAS) schemas[schema.$id as string] = toOpenApi(schema);
  return {
    openapi: "3.0.3",
    info: {
      title: "Blockchain node API",
      version: VERSION,
      description: "A proof-of-work node that keeps a replicated ledger of text messages.",
    },
    paths,
    components: { schemas },
  };
}
