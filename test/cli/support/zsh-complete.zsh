# Runs zsh's real completion system on one command line and prints the candidates it offers,
# one per line. zsh completes only inside its line editor, so this drives an interactive zsh in
# a pseudo-terminal (zsh/zpty), with compadd wrapped to record what the completion adds.
# usage: zsh zsh-complete.zsh SCRIPT OUTFILE 'command line' ['command line' ...]
# OUTFILE gets each line's candidates followed by a line '--END--'.
emulate -L zsh
zmodload zsh/zpty || exit 2
local script=$1 out=$2 line
shift 2
rm -f -- $out
zpty tb zsh -f -i
zpty -w tb "autoload -Uz compinit; compinit -u -D; source ${(q)script}"
zpty -w tb "compadd() { if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then builtin compadd \"\$@\"; return; fi; local -a tb_hits; builtin compadd -A tb_hits \"\$@\"; print -rl -- \$tb_hits >> ${(q)out}; builtin compadd \"\$@\"; }"
zpty -w tb "print -r -- READY-\$((6*7))"
zpty -r tb ignored '*READY-42*'
for line in "$@"; do
  zpty -n -w tb "$line"$'\t'
  # zsh skips completing while more input is queued: let the TAB be handled first.
  sleep 0.4
  # Completion runs synchronously in the line editor: once a command typed after it (on a line
  # cleared with ^U) has run, the completion is over.
  zpty -w tb $'\x15print -r -- --END-- >> '"${(q)out}"'; print -r -- DONE-$((6*7))'
  zpty -r tb ignored '*DONE-42*'
done
zpty -d tb
