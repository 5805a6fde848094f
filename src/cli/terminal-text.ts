/**
 * Characters a terminal acts on instead of showing: C0 controls (newline,
 * ESC, ...), DEL, C1 controls, and the bidirectional overrides and line
 * separators that reorder or break what is shown.
 */
function isControl(code: number): boolean {
  return (
    code <= 0x1f ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x061c ||
    code === 0x200e ||
    code === 0x200f ||
    code === 0x2028 ||
    code === 0x2029 ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * Text from a node, made safe to print: every control character is shown
 * escaped (`\n`, `\t`, `\x1b`, `\u202e`), so a message can neither forge a
 * line of output nor move, recolour or retitle the user's terminal.
 */
export function escapeControl(text: string): string {
  let out = "";
  for (const c of text) {
    const code = c.codePointAt(0) as number;
    if (!isControl(code)) out += c;
    else if (NAMED[c]) out += NAMED[c];
    else if (code < 0x100) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += `\\u${code.toString(16).padStart(4, "0")}`;
  }
  return out;
}
