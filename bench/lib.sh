# bench/lib.sh: helpers shared by the benchmark scripts (sourced, not run).
# shellcheck shell=bash disable=SC2034 # variables are used by the scripts that source this
#
# Conventions every benchmark follows:
#   * the agent under test is the installed one: `make -s install DESTDIR=$STAGE`
#     (release, static Swift stdlib), called through a link named after the
#     agent, as Pacemaker calls /usr/lib/ocf/resource.d/hanet/<agent>;
#   * hyperfine runs INSIDE the test namespace (`ip netns exec NS hyperfine -N`),
#     so only the command is timed, not `ip netns exec`;
#   * child processes = successful execve calls seen by `strace -f`, minus
#     `ip netns exec` itself and minus the command's own exec;
#   * instructions = user-space instructions counted by
#     `valgrind --tool=callgrind`, summed over the command and its children:
#     repeatable on a busy machine, unlike wall time;
#   * every result is one row of $BENCH_ROWS (TSV), printed by bench/table.py;
#     a command timed in several rounds (interleaved with the commands it is
#     compared with, so a change in the machine's load hits all of them alike)
#     is one row in the tables, its runs pooled.
#
# Functions take the NAME of a bash array holding the environment
# (VAR=value words) to run a command with, so one run's settings are visible
# in one place.

BENCH_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO=${BENCH_DIR%/bench}
NO_ENV=()
declare -A BENCH_SEEN=()

HANET_PROG=bench
# shellcheck source=scripts/lib/common.sh
. "$BENCH_DIR/../scripts/lib/common.sh"
bench_log() { note "$@"; }
bench_die() { die "$@"; }

# bench_require CMD...: every command must exist.
bench_require() {
  local c
  for c in "$@"; do command -v "$c" >/dev/null || bench_die "'$c' is missing (scripts/install-deps.sh installs it)"; done
  [ "$(id -u)" = 0 ] || bench_die "run as root (namespaces, firewall tables)"
}

# bench_stage [DIR]: installs hanet into DIR (default: a new directory
# .build/bench.XXXXXX, which the VM sees too) and sets STAGE, AGENT (the
# installed hanet-agent), HANET (the CLI).
bench_stage() {
  mkdir -p "$REPO/.build"
  STAGE=${1:-$(mktemp -d "$REPO/.build/bench.XXXXXX")}
  mkdir -p "$STAGE"
  bench_log "building and installing into $STAGE (make -s install)"
  make -s -C "$REPO" install DESTDIR="$STAGE" >"$STAGE/make.log" 2>&1 || { cat "$STAGE/make.log" >&2; bench_die "make install failed"; }
  AGENT=$STAGE/usr/lib/hanet/hanet-agent
  HANET=$STAGE/usr/sbin/hanet
  [ -x "$AGENT" ] || bench_die "make install produced no $AGENT"
  [ -x "$HANET" ] || bench_die "make install produced no $HANET"
  BENCH_ROWS=$STAGE/rows.tsv
  : >"$BENCH_ROWS"
}

# bench_link AGENT: prints $STAGE/ra/AGENT, a link to the staged hanet-agent
# (the installed OCF links point at the absolute /usr/lib/hanet/hanet-agent;
# argv[0]'s basename picks the agent).
bench_link() {
  mkdir -p "$STAGE/ra"
  ln -sfn "$AGENT" "$STAGE/ra/$1"
  printf '%s\n' "$STAGE/ra/$1"
}

# bench_machine: one line describing the machine and its load right now.
bench_machine() {
  local model
  model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
  printf '%s; %s CPUs (%s); kernel %s; load average %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" \
    "$(nproc)" "$model" "$(uname -r)" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

# bench_source: the commit measured (git describe; "-dirty" with local changes).
bench_source() {
  git -C "$REPO" describe --always --dirty 2>/dev/null || echo "not a git checkout"
}

# Every measured command gets a clean, fixed environment (as pacemaker-execd
# gives agents a small one), so results do not depend on the caller's shell.
BENCH_BASE_ENV=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8)

# bench_in NS ENVNAME CMD...: runs CMD inside namespace NS (or here when NS
# is empty) with only the environment words of array ENVNAME (plus PATH, LANG).
bench_in() {
  local ns=$1
  local -n _env=$2
  shift 2
  if [ -n "$ns" ]; then
    env -i "${BENCH_BASE_ENV[@]}" "${_env[@]}" ip netns exec "$ns" "$@"
  else
    env -i "${BENCH_BASE_ENV[@]}" "${_env[@]}" "$@"
  fi
}

# bench_run ROW-FIELDS... -- options: times one command and appends a row.
#   --impl NAME --action NAME [--n GUESTS] --ns NS --env ENVNAME
#   [--prepare 'CMD'] [--runs N] [--warmup N] [--rc EXPECTED] [--no-instructions]
#   [--children TEXT]  (known count: skips the strace run, for very long commands)
#   -- CMD...
# The prepare command (hyperfine --prepare, no shell: a word list) runs
# before every timed run and before the strace and callgrind runs, to put
# the state back (e.g. unblock before each timed block).
bench_run() {
  local impl="" action="" n="" ns="" envname=NO_ENV prepare="" runs=${BENCH_RUNS:-200} warmup=${BENCH_WARMUP:-10} rc=0 instr=1 kids=""
  while [ "$1" != -- ]; do
    case $1 in
      --impl) impl=$2; shift 2 ;;
      --action) action=$2; shift 2 ;;
      --n) n=$2; shift 2 ;;
      --ns) ns=$2; shift 2 ;;
      --env) envname=$2; shift 2 ;;
      --prepare) prepare=$2; shift 2 ;;
      --runs) runs=$2; shift 2 ;;
      --warmup) warmup=$2; shift 2 ;;
      --rc) rc=$2; shift 2 ;;
      --no-instructions) instr=0; shift ;;
      --children) kids=$2; shift 2 ;;
      *) bench_die "bench_run: unknown option $1" ;;
    esac
  done
  shift
  local id json count=-
  id=$(wc -l <"$BENCH_ROWS")
  json=$STAGE/run-$id.json
  local hf=(hyperfine -N --style none --warmup "$warmup" --runs "$runs" --export-json "$json" -n "$impl $action")
  [ -n "$prepare" ] && hf+=(--prepare "$prepare")
  [ "$rc" != 0 ] && hf+=(--ignore-failure)
  bench_log "$impl $action${n:+ (N=$n)}: $runs runs"
  bench_in "$ns" "$envname" "${hf[@]}" "$*" >"$STAGE/hyperfine.log" 2>&1 || { cat "$STAGE/hyperfine.log" >&2; bench_die "hyperfine failed: $impl $action"; }
  # A command timed again (another round) adds its times to the same row;
  # its child processes and instructions are counted once.
  local key="$impl|$action|$n"
  if [ -z "${BENCH_SEEN[$key]:-}" ]; then
    BENCH_SEEN[$key]=1
    [ -n "$kids" ] || kids=$(bench_children "$ns" "$envname" "$prepare" "$@")
    if ((instr)); then count=$(bench_instructions "$ns" "$envname" "$prepare" "$@"); fi
  else
    kids=- count=-
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$impl" "$action" "$n" "$json" "$kids" "$count" "$rc" >>"$BENCH_ROWS"
}

# bench_prepare NS ENVNAME 'PREPARE': runs the prepare word list, if any.
bench_prepare() {
  local -a words
  [ -n "$3" ] || return 0
  read -r -a words <<<"$3"
  bench_in "$1" "$2" "${words[@]}" >/dev/null 2>&1 || bench_die "prepare failed: $3"
}

# bench_children NS ENVNAME 'PREPARE' CMD...: child processes of one run.
bench_children() {
  local ns=$1 envname=$2 prepare=$3 total
  shift 3
  bench_prepare "$ns" "$envname" "$prepare"
  if [ -n "$ns" ]; then
    bench_in "" "$envname" strace -f -qq -e trace=execve -o "$STAGE/strace.out" ip netns exec "$ns" "$@" >/dev/null 2>&1 || true
    total=$(grep execve "$STAGE/strace.out" | grep -c '= 0$')
    echo $((total - 2)) # minus ip netns exec, minus the command's own exec
  else
    bench_in "" "$envname" strace -f -qq -e trace=execve -o "$STAGE/strace.out" "$@" >/dev/null 2>&1 || true
    total=$(grep execve "$STAGE/strace.out" | grep -c '= 0$')
    echo $((total - 1))
  fi
}

# bench_instructions NS ENVNAME 'PREPARE' CMD...: user-space instructions of
# one run, the command and all its children (callgrind "Collected").
bench_instructions() {
  local ns=$1 envname=$2 prepare=$3
  shift 3
  command -v valgrind >/dev/null || { echo -; return; }
  bench_prepare "$ns" "$envname" "$prepare"
  rm -f "$STAGE"/vg.*
  bench_in "$ns" "$envname" valgrind --tool=callgrind --trace-children=yes --callgrind-out-file=/dev/null \
    --log-file="$STAGE/vg.%p" "$@" >/dev/null 2>&1 || true
  cat "$STAGE"/vg.* 2>/dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p' | awk '{s += $1} END {print (NR ? s : "-")}'
}

# bench_table [table.py options]: prints the rows collected so far.
bench_table() { python3 "$BENCH_DIR/table.py" "$BENCH_ROWS" "$@"; }
