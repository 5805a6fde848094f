import { join } from "node:path";
import pino, { type Logger } from "pino";
import pretty from "pino-pretty";
import { DEFAULTS } from "./config.js";
import { RotatingFile } from "./rotating-file.js";

export type { Logger } from "pino";

export interface NodeLoggerOptions {
  /** Folder of miner.log (the chain file's folder); no file log when absent. */
  logDir?: string;
  level?: string;
  /** Human-readable lines on stderr (the console). */
  console?: boolean;
  rotateBytes?: number;
}

export interface NodeLogger {
  logger: Logger;
  /** Flushes and closes the file log. */
  close(): Promise<void>;
}

/** A logger that writes JSON lines to `miner.log` (rotated by size) and readable lines to the console. */
export function createNodeLogger(opts: NodeLoggerOptions): NodeLogger {
  const level = (opts.level ?? DEFAULTS.logLevel) as pino.Level;
  const streams: pino.StreamEntry[] = [];
  const file = opts.logDir
    ? new RotatingFile(join(opts.logDir, "miner.log"), opts.rotateBytes ?? DEFAULTS.logRotateBytes)
    : null;
  if (file) streams.push({ level, stream: file });
  if (opts.console !== false) {
    const consoleStream = pretty({
      destination: 2,
      colorize: Boolean(process.stderr.isTTY),
      translateTime: "SYS:HH:MM:ss.l",
      ignore: "pid,hostname",
      singleLine: true,
      sync: true,
    });
    streams.push({ level, stream: consoleStream });
  }
  const logger = pino({ level }, pino.multistream(streams));
  return { logger, close: async () => file?.close() };
}

/** A logger that writes nothing, for library users and tests that do not want logs. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
