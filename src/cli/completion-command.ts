import { Argument, type Command, type Option } from "commander";

/** One command of the tree as completion sees it: its words, subcommands and flags. */
interface CompletionNode {
  /** The words after `blockchain`, e.g. "get block". */
  path: string;
  subcommands: { name: string; description: string }[];
  flags: { flag: string; description: string }[];
}

function flagsOf(command: Command): { flag: string; description: string }[] {
  const options: readonly Option[] = command.options;
  const flags = options
    .filter((o) => o.long && !o.hidden)
    .map((o) => ({ flag: o.long as string, description: o.description }));
  return [...flags, { flag: "--help", description: "show help" }];
}

/** Every command under `root`, deepest first, so that a longer path is matched before its prefix. */
function completionTree(root: Command): CompletionNode[] {
  const nodes: CompletionNode[] = [];
  const walk = (command: Command, path: string) => {
    for (const sub of command.commands) walk(sub, path ? `${path} ${sub.name()}` : sub.name());
    nodes.push({
      path,
      subcommands: command.commands.map((c) => ({ name: c.name(), description: c.description() })),
      flags: flagsOf(command),
    });
  };
  walk(root, "");
  return nodes.sort((a, b) => b.path.split(" ").length - a.path.split(" ").length);
}

/** Bash: words typed so far (flags and their values aside) pick the command; its words complete. */
export function bashCompletion(root: Command): string {
  const cases = completionTree(root).map((node) => {
    const words = [...node.subcommands.map((s) => s.name), ...node.flags.map((f) => f.flag)];
    // A command with subcommands completes them right after its name; a leaf keeps its flags
    // after any argument (and files, through `-o default`).
    const pattern =
      node.subcommands.length > 0 ? `"${node.path}"` : `"${node.path}"|"${node.path} "*`;
    return `    ${pattern}) words="${words.join(" ")}" ;;`;
  });
  return `# bash completion for blockchain: eval "$(blockchain completion bash)" (e.g. in ~/.bashrc)
_blockchain() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmdpath="" words="" i w
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ $w == -* ]] || cmdpath="\${cmdpath:+$cmdpath }$w"
  done
  case "$cmdpath" in
${cases.join("\n")}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _blockchain blockchain
`;
}

/** A zsh single-quoted `_describe` item: `'` closed and reopened, `:` escaped. */
function zshItem(word: string, description: string): string {
  const text = `${word.replaceAll(":", "\\:")}:${description.replaceAll(":", "\\:")}`;
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/** Zsh: the same walk as bash, with each word's description shown. */
export function zshCompletion(root: Command): string {
  const cases = completionTree(root).map((node) => {
    const subs = node.subcommands.map((s) => zshItem(s.name, s.description));
    const flags = node.flags.map((f) => zshItem(f.flag, f.description));
    const pattern =
      node.subcommands.length > 0 ? `"${node.path}"` : `"${node.path}"|"${node.path} "*`;
    return `    ${pattern})
      subcommands=(${subs.join(" ")})
      flags=(${flags.join(" ")}) ;;`;
  });
  return `#compdef blockchain
# zsh completion for blockchain: eval "$(blockchain completion zsh)" (e.g. in ~/.zshrc, after compinit)
_blockchain() {
  local -a subcommands flags
  local cmdpath="" i
  for ((i = 2; i < CURRENT; i++)); do
    [[ \${words[i]} == -* ]] || cmdpath="\${cmdpath:+$cmdpath }\${words[i]}"
  done
  case "$cmdpath" in
${cases.join("\n")}
  esac
  if [[ \${words[CURRENT]} == -* ]]; then
    _describe -t flags 'flag' flags
  elif (( \${#subcommands} )); then
    _describe -t commands 'command' subcommands
  else
    _files
  fi
}
compdef _blockchain blockchain
`;
}

/** `blockchain completion bash|zsh`: prints a completion script for the shell. */
export function registerCompletionCommand(program: Command): void {
  program
    .command("completion")
    .description('print a shell completion script: eval "$(blockchain completion bash)"')
    .addArgument(new Argument("<shell>", "the shell").choices(["bash", "zsh"]))
    .action((shell: "bash" | "zsh") => {
      process.stdout.write(shell === "bash" ? bashCompletion(program) : zshCompletion(program));
    });
}
