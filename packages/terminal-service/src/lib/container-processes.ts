/**
 * Finding and signalling a terminal's processes inside a container, by the environment
 * markers every container terminal starts with. The engine does not end an exec'd
 * shell when the client that started it goes away, so after a `kill -9` of the agent
 * the shell keeps running, unreachable; these markers make it findable again.
 */

/** Environment variable naming the terminal a process belongs to. */
export const TERMINAL_MARKER = 'BOSUN_TERMINAL';
/** Environment variable naming the service run (process lifetime) that started it. */
export const RUN_MARKER = 'BOSUN_RUN';
/** Environment variable naming the agent whose service started it. */
export const AGENT_MARKER = 'BOSUN_AGENT';

/** The markers a container terminal's process starts with. */
export function terminalMarkers(terminalId: string, runId: string, agentId: string): Record<string, string> {
  return { [TERMINAL_MARKER]: terminalId, [RUN_MARKER]: runId, [AGENT_MARKER]: agentId };
}

/**
 * A POSIX `sh` script (busybox ash, dash and bash all run it; it needs `tr` and `cat`)
 * that signals marked processes and prints `ended <pid> <terminalId>` for each.
 *
 * Arguments: `$1` mode (`orphans` or `terminals`), `$2` agent id, `$3` current run id,
 * `$4` space-separated terminal ids, `$5` signal name without `SIG`.
 *
 * - `orphans`: processes of agent `$2` whose run is not `$3`, except terminals in `$4`
 *   (the ones the current run adopted).
 * - `terminals`: processes of the terminals in `$4`, whatever their run.
 *
 * A matched process that leads its own session (the shell of a TTY exec does) takes the
 * whole session with it, so children that cleared their environment (`env -i`) go too.
 * PID 1, the script itself and a session led by an unmarked process are never touched.
 */
export const SIGNAL_MARKED_SCRIPT = `
mode=$1 agent=$2 run=$3 ids=" $4 " sig=$5 self=$$
nl='
'
sid_of() { s=$(cat 2>/dev/null "/proc/$1/stat") || return 1; s=\${s##*) }; set -- $s; echo "$4"; }
sids=' ' hit=' '
for d in /proc/[0-9]*; do
  p=\${d#/proc/}
  [ "$p" = "$self" ] || [ "$p" = 1 ] && continue
  e=$(tr '\\000' '\\n' 2>/dev/null < "$d/environ") || continue
  r= t= a=
  set -f; IFS=$nl
  for l in $e; do
    case $l in
      ${RUN_MARKER}=*) r=\${l#${RUN_MARKER}=} ;;
      ${TERMINAL_MARKER}=*) t=\${l#${TERMINAL_MARKER}=} ;;
      ${AGENT_MARKER}=*) a=\${l#${AGENT_MARKER}=} ;;
    esac
  done
  unset IFS; set +f
  [ -n "$t" ] || continue
  case $t in *[!A-Za-z0-9._:-]*) t='?' ;; esac
  case $mode in
    orphans)
      [ "$a" = "$agent" ] && [ "$r" != "$run" ] || continue
      case $ids in *" $t "*) continue ;; esac ;;
    terminals)
      case $ids in *" $t "*) ;; *) continue ;; esac ;;
    *) exit 2 ;;
  esac
  s=$(sid_of "$p") || continue
  [ "$s" = "$p" ] && sids="$sids$s "
  kill -s "$sig" "$p" 2>/dev/null && echo "ended $p $t" && hit="$hit$p "
done
[ "$sids" = ' ' ] && exit 0
for d in /proc/[0-9]*; do
  p=\${d#/proc/}
  [ "$p" = "$self" ] || [ "$p" = 1 ] && continue
  case $hit in *" $p "*) continue ;; esac
  s=$(sid_of "$p") || continue
  case $sids in *" $s "*) kill -s "$sig" "$p" 2>/dev/null && echo "ended $p -" ;; esac
done
exit 0
`;

/** Which marked processes {@link signalMarkedArgv} selects. */
export type MarkedSelector =
  | {
      /** Every process of `agentId` not started by `runId`, except the terminals in `keep`. */
      kind: 'orphans';
      agentId: string;
      runId: string;
      keep: readonly string[];
    }
  | {
      /** Every process of these terminals. */
      kind: 'terminals';
      terminalIds: readonly string[];
    };

const SAFE = /^[A-Za-z0-9._:-]{1,128}$/;
const SIGNALS = /^(?:SIG)?([A-Z][A-Z0-9]{1,9})$/;

/**
 * The argv (`/bin/sh -c <script> …`) that signals the processes `selector` names.
 * Ids are checked against `[A-Za-z0-9._:-]` so nothing a caller passes is read as a
 * pattern or an option by the script.
 */
export function signalMarkedArgv(selector: MarkedSelector, signal: string): string[] {
  const sig = SIGNALS.exec(signal)?.[1];
  if (!sig) throw new Error(`bad signal ${signal}`);
  const ids = selector.kind === 'orphans' ? selector.keep : selector.terminalIds;
  const fixed = selector.kind === 'orphans' ? [selector.agentId, selector.runId] : ['-', '-'];
  for (const v of [...ids, ...fixed]) if (v !== '-' && !SAFE.test(v)) throw new Error(`bad marker value ${JSON.stringify(v)}`);
  return ['/bin/sh', '-c', SIGNAL_MARKED_SCRIPT, 'bosun-signal-marked', selector.kind, ...fixed, ids.join(' '), sig];
}

/** One process the script signalled. */
export interface EndedProcess {
  /** Pid inside the container's pid namespace. */
  pid: number;
  /** Its terminal, or undefined for a member of a marked shell's session without a marker. */
  terminalId?: string;
}

/** Parses the script's `ended <pid> <terminalId|->` lines (anything else is ignored). */
export function parseEnded(stdout: string): EndedProcess[] {
  const out: EndedProcess[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^ended (\d+) ([A-Za-z0-9._:?-]+)$/.exec(line.trim());
    if (!m) continue;
    out.push({ pid: Number(m[1]), ...(m[2] === '-' || m[2] === '?' ? {} : { terminalId: m[2] }) });
  }
  return out;
}
