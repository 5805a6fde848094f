import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { buildProgram } from "../../src/cli/main.js";

/*
 * The commands and flags the documents show exist, as `--help` shows them: every
 * `blockchain <command> ... --flag` in a code block or an inline code span of README.md and
 * docs/*.md names a command of the program and flags of that command. Text that is not such
 * an occurrence (prose, other programs' command lines, a document that cannot be read) is
 * left alone; an occurrence with flags is held to the program exactly.
 */

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

interface Occurrence {
  file: string;
  line: number;
  text: string;
}

/** The documents: README.md and every Markdown file under docs/. */
function documents(): string[] {
  const docs = join(ROOT, "docs");
  const names = readdirSync(docs).filter((n) => n.endsWith(".md"));
  return [join(ROOT, "README.md"), ...names.map((n) => join(docs, n))];
}

/** The command lines a document shows: fenced code lines (with their indented continuations) and inline code spans. */
function commandLines(file: string, text: string): Occurrence[] {
  const found: Occurrence[] = [];
  const lines = text.split("\n");
  let fenced = false;
  let current: Occurrence | null = null;
  lines.forEach((line, index) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      current = null;
      return;
    }
    if (fenced) {
      if (current && /^\s+\S/.test(line) && !/\bblockchain\s/.test(line)) {
        current.text += ` ${line.trim()}`;
        return;
      }
      current = /\bblockchain\s/.test(line) ? { file, line: index + 1, text: line } : null;
      if (current) found.push(current);
      return;
    }
    for (const span of line.matchAll(/`([^`]+)`/g)) {
      if (/\bblockchain\s/.test(span[1] as string)) {
        found.push({ file, line: index + 1, text: span[1] as string });
      }
    }
  });
  return found;
}

/** Long flags a command takes, `--help` and (for the program) `--version` included. */
function flagsOf(command: Command): Set<string> {
  const flags = new Set(["--help"]);
  for (const option of command.options) if (option.long) flags.add(option.long);
  return flags;
}

/** Checks one command line; returns what is wrong with it, or null. */
function check(program: Command, occurrence: Occurrence): string | null {
  const at = /(?:^|[\s(`])(?:\.\/bin\/)?blockchain\s+(.*)$/.exec(occurrence.text);
  if (!at) return null;
  // A shell comment is not part of the command.
  const words = (at[1] as string)
    .replace(/\s#\s.*$/, "")
    .split(/\s+/)
    .filter(Boolean);
  let command = program;
  let consumed = 0;
  for (const word of words) {
    const name = (word.split("|")[0] as string).replace(/^[[(]|[\])]$/g, "");
    const sub = command.commands.find((c) => c.name() === name || c.aliases().includes(name));
    if (!sub) break;
    command = sub;
    consumed++;
  }
  const rest = words.slice(consumed);
  const flags = rest.join(" ").match(/(?<![\w-])--[a-z][a-z0-9_-]*/g) ?? [];
  if (flags.length === 0) return null;
  if (command === program && rest[0] && /^[a-z][a-z-]+$/.test(rest[0]) && rest[0] !== "--") {
    return `'blockchain ${rest[0]}' is no command`;
  }
  const known = flagsOf(command);
  const unknown = flags
    .map((f) => f.replaceAll("_", "-"))
    .filter((f) => !known.has(f) && !(command === program && f === "--version"));
  if (unknown.length === 0) return null;
  const path: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) path.unshift(c.name());
  const name = path.join(" ");
  return `${name} has no ${[...new Set(unknown)].join(", ")}`;
}

test("every `blockchain <command> --flag` the README and docs/ show is a command and flag of the program", () => {
  const program = buildProgram();
  const problems: string[] = [];
  let checked = 0;
  for (const file of documents()) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const occurrence of commandLines(file.slice(ROOT.length), text)) {
      checked++;
      const problem = check(program, occurrence);
      if (problem)
        problems.push(
          `${occurrence.file}:${occurrence.line}: ${problem} (${occurrence.text.trim()})`,
        );
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(checked > 50, `${checked} command lines found in the documents`);
});

test("the checker catches a flag or a command that does not exist", () => {
  const program = buildProgram();
  const at = { file: "x.md", line: 1 };
  assert.equal(check(program, { ...at, text: "blockchain miner start c.json --port 1" }), null);
  assert.equal(
    check(program, { ...at, text: "blockchain miner start c.json --chain_serialization binary" }),
    null,
  );
  assert.match(
    check(program, { ...at, text: "blockchain miner start c.json --colour" }) ?? "",
    /has no --colour/,
  );
  assert.match(
    check(program, { ...at, text: "./bin/blockchain get status --hots x" }) ?? "",
    /has no --hots/,
  );
  assert.match(
    check(program, { ...at, text: "blockchain teleport --now" }) ?? "",
    /'blockchain teleport' is no command/,
  );
  assert.equal(check(program, { ...at, text: "blockchain --version" }), null);
});
