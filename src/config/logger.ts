import { join } from "node:path";
import { Writable } from "node:stream";
import pino, { type Logger } from "pino";
import pretty from "pino-pretty";
import { DEFAULTS } from "./config.js";
import { RotatingFile } from "./rotating-file.js";

export type { Logger } from "pino";

export interface NodeLoggerOptions {
  /** Folder of miner.log (the chain file's folder); no file log when absent. */
  logDir?: string;
  level?: string;
  /** Lines on stderr (the console). */
  console?: boolean;
  /** Console lines as readable text (default) or as JSON, one object a line, like miner.log's. */
  consoleFormat?: "pretty" | "json";
  rotateBytes?: number;
  /** How often a log file that could not be written is tried again. */
  retryMs?: number;
}

export interface NodeLogger {
  logger: Logger;
  /** The file log, when there is one. */
  file: RotatingFile | null;
  /** Flushes and closes the file log. */
  close(): Promise<void>;
}

/** The log file could not be opened at start. */
export class LogFileError extends Error {
  readonly code = "LOG_FILE";
  constructor(
    readonly path: string,
    cause: NodeJS.ErrnoException,
  ) {
    super(`cannot open the log file ${path}: ${cause.code ?? cause.message}`, { cause });
    this.name = "LogFileError";
  }
}

/** Most bytes left waiting for a slow console before lines are dropped. */
const MAX_CONSOLE_BACKLOG = 1024 * 1024;

/**
 * stderr as a sink that never fails the logger: lines are dropped while the
 * console lags far behind, and for good once it is closed (EPIPE: the
 * terminal or the parent that read it is gone).
 */
function consoleSink(): Writable {
  let broken = false;
  process.stderr.on("error", () => {
    broken = true;
  });
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (
        !broken &&
        !process.stderr.destroyed &&
        process.stderr.writableLength < MAX_CONSOLE_BACKLOG
      ) {
        process.stderr.write(chunk);
      }
      callback();
    },
  });
}

/** The console's stream: none, JSON lines as pino writes them, or readable lines. */
function consoleStreamFor(opts: NodeLoggerOptions): Writable | null {
  if (opts.console === false) return null;
  if (opts.consoleFormat === "json") return consoleSink();
  return pretty({
    destination: consoleSink(),
    colorize: Boolean(process.stderr.isTTY),
    translateTime: "SYS:HH:MM:ss.l",
    ignore: "pid,hostname",
    singleLine: true,
  });
}

/**
 * A logger that writes JSON lines to `miner.log` (rotated by size) and
 * readable lines to the console. Throws LogFileError when miner.log cannot be
 * opened; later write failures only pause file logging (said once on the
 * console), they never stop the node.
 */
export async function createNodeLogger(opts: NodeLoggerOptions): Promise<NodeLogger> {
  const level = (opts.level ?? DEFAULTS.logLevel) as pino.Level;
  const streams: pino.StreamEntry[] = [];
  const consoleStream = consoleStreamFor(opts);
  let file: RotatingFile | null = null;
  if (opts.logDir) {
    const path = join(opts.logDir, "miner.log");
    try {
      file = await RotatingFile.open(path, opts.rotateBytes ?? DEFAULTS.logRotateBytes, {
        onProblem: (message) => consoleStream?.write(`${JSON.stringify(problemLine(message))}\n`),
        ...(opts.retryMs !== undefined ? { retryMs: opts.retryMs } : {}),
      });
    } catch (err) {
      throw new LogFileError(path, err as NodeJS.ErrnoException);
    }
    streams.push({ level, stream: file });
  }
  if (consoleStream) streams.push({ level, stream: consoleStream });
  const logger = pino({ level }, pino.multistream(streams));
  return { logger, file, close: async () => file?.close() };
}

/** A warning in pino's JSON shape, for the console only (the file is what failed). */
function problemLine(msg: string): Record<string, unknown> {
  return { level: 40, time: Date.now(), module: "log", msg };
}

/** A logger that writes nothing, for library users and tests that do not want logs. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
