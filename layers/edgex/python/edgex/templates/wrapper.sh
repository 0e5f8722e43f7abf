#!/usr/bin/env bash
# Edgex wrapper (bash 3.2+). GET /v1/agent/download serves this text with the
# script's base64 at one placeholder; the bootstrapper pipes it into `bash -s`.
# The text is the same for every machine of a deployment: the token and machine
# facts come from the environment the bootstrapper sets:
#   EDGEX_API_URL, EDGEX_AGENT_TOKEN, EDGEX_MACHINE_ID, EDGEX_HOSTNAME
#   EDGEX_RETRY_BASE_DELAY, EDGEX_RETRY_ATTEMPTS, EDGEX_RETRY_MAX_WAIT (see _edgex_http)
#   EDGEX_TIMEOUT_SECONDS (the run's time limit, from the download answer's
#   X-Edgex-Timeout), EDGEX_HEARTBEAT_SECONDS (report interval, default 30; see _orc_run)
#
# Helpers for the script: _orc_send, _orc_system_info, _orc_is_root, _orc_retry;
# read-only variables $_ORC_OS, $_ORC_OS_VERSION, $_ORC_ARCH, $_ORC_MACHINE_ID,
# $_ORC_HOSTNAME. The helpers are safe under `set -euo pipefail`: a missing tool
# or an unreachable API never ends the script.
#
# The script is decoded in memory and run by eval in a subshell (stdin /dev/null),
# so its `exit` ends only itself. A script saved with CRLF line endings is run with
# LF ones (its first line tells). Its entries (_orc_send) ride with its output
# reports, every EDGEX_HEARTBEAT_SECONDS: a run within one interval makes one
# request. Unless it reported completion itself (`_orc_send success|error ...
# complete`), the wrapper sends the final report: the entries still waiting, then
# one entry, step "complete", status success (exit 0) or error, with "exit_code".
# SIGINT, SIGTERM and SIGHUP (Ctrl-C, a closed terminal, a service stop: sent to
# the process group) end the script and are reported as exit 128+signal.
# Exit status: the script's; 90 when the environment above is missing; 94 when
# the script cannot be decoded.

_ORC_API_URL=${EDGEX_API_URL:-}
_ORC_AGENT_TOKEN=${EDGEX_AGENT_TOKEN:-}
_ORC_RUN_ID=${EDGEX_RUN_ID:-}
_orc_requests=0
# The script's own children have no use for the token: keep it out of their environment.
unset EDGEX_AGENT_TOKEN
_ORC_WRAPPER_PID=$$
readonly _ORC_API_URL _ORC_AGENT_TOKEN _ORC_WRAPPER_PID

_orc_detect() {
    local kernel k v
    kernel=$(uname -s 2>/dev/null) || kernel=unknown
    case $kernel in
        Linux) _ORC_OS=linux ;;
        Darwin) _ORC_OS=macos ;;
        FreeBSD) _ORC_OS=freebsd ;;
        OpenBSD) _ORC_OS=openbsd ;;
        NetBSD) _ORC_OS=netbsd ;;
        *) _ORC_OS=$(printf '%s' "$kernel" | tr '[:upper:]' '[:lower:]') ;;
    esac
    _ORC_OS_VERSION=
    if [ "$_ORC_OS" = macos ]; then
        _ORC_OS_VERSION="$(sw_vers -productName 2>/dev/null) $(sw_vers -productVersion 2>/dev/null)"
    elif [ -r /etc/os-release ]; then
        while IFS='=' read -r k v; do
            if [ "$k" = PRETTY_NAME ]; then
                v=${v#\"}
                v=${v%\"}
                _ORC_OS_VERSION=$v
            fi
        done </etc/os-release
    fi
    [ -n "${_ORC_OS_VERSION// /}" ] || _ORC_OS_VERSION="$kernel $(uname -r 2>/dev/null)"
    _ORC_ARCH=$(uname -m 2>/dev/null) || _ORC_ARCH=unknown
    _ORC_MACHINE_ID=${EDGEX_MACHINE_ID:-unknown}
    _ORC_HOSTNAME=${EDGEX_HOSTNAME:-}
    [ -n "$_ORC_HOSTNAME" ] || _ORC_HOSTNAME=$(hostname 2>/dev/null) || _ORC_HOSTNAME=
    [ -n "$_ORC_HOSTNAME" ] || _ORC_HOSTNAME=${HOSTNAME:-unknown}
}
_orc_detect
# shellcheck disable=SC2034  # read by the script, not by the wrapper
readonly _ORC_OS _ORC_OS_VERSION _ORC_ARCH _ORC_MACHINE_ID _ORC_HOSTNAME

# An awk function (for LC_ALL=C awk): utf8(s) is s with every byte that is not part
# of a UTF-8 sequence replaced by U+FFFD. Scripts print what their tools print (a
# Latin-1 file, a binary), and the API takes only UTF-8: one such byte would have the
# whole report refused, with the entries riding with it.
_ORC_AWK_UTF8='
function utf8(s,    out, i, j, n, b, need, ok) {
    if (!_utf8_bytes) {
        for (i = 128; i < 256; i++) _utf8_byte[sprintf("%c", i)] = i
        _utf8_bytes = 1
    }
    out = ""
    n = length(s)
    i = 1
    while (i <= n) {
        b = _utf8_byte[substr(s, i, 1)] + 0
        if (b < 128) {
            out = out substr(s, i, 1)
            i++
            continue
        }
        need = (b >= 194 && b <= 223) ? 1 : (b >= 224 && b <= 239) ? 2 : (b >= 240 && b <= 244) ? 3 : 0
        ok = need > 0 && i + need <= n
        for (j = 1; ok && j <= need; j++) {
            b = _utf8_byte[substr(s, i + j, 1)] + 0
            ok = b >= 128 && b <= 191
        }
        if (ok) {
            out = out substr(s, i, need + 1)
            i += need + 1
        } else {
            out = out "\357\277\275"
            i++
        }
    }
    return out
}'
readonly _ORC_AWK_UTF8

# _orc_json TEXT [MAX_CHARS]: TEXT as a JSON string (quotes, backslashes, control
# characters; bytes that are not UTF-8 as U+FFFD, trailing newlines then dropped),
# cut to at most MAX_CHARS characters without splitting a UTF-8 sequence, whatever
# the locale (cron, containers and ssh often run in C/POSIX, where bash counts
# bytes). A subshell, so its LC_ALL=C stays here.
_orc_json() (
    LC_ALL=C
    s=$1
    max=${2:-0}
    cont=$'\x80'-$'\xbf'
    if [ "$max" -gt 0 ] && [ "${#s}" -gt "$max" ]; then
        # chars = bytes that are not UTF-8 continuation bytes; grow the cut until
        # it holds MAX_CHARS of them (a character takes 1 to 4 bytes).
        s=${s:0:$((max * 4))}
        n=$max
        while :; do
            p=${s:0:$n}
            c=${p//[$cont]/}
            if [ "${#c}" -ge "$max" ] || [ "$n" -ge "${#s}" ]; then
                break
            fi
            n=$((n + max - ${#c}))
        done
        # Complete the last character, then drop a sequence still left incomplete.
        while [ "$n" -lt "${#s}" ]; do
            case ${s:$n:1} in
                [$cont]) n=$((n + 1)) ;;
                *) break ;;
            esac
        done
        p=${s:0:$n}
        case $p in
            *[$'\xc0'-$'\xff']) p=${p%?} ;;
            *[$'\xe0'-$'\xff'][$cont]) p=${p%??} ;;
            *[$'\xf0'-$'\xff'][$cont][$cont]) p=${p%???} ;;
        esac
        s=$p
    fi
    case $s in
        *[$'\x80'-$'\xff']*) s=$(printf '%s\n' "$s" | LC_ALL=C awk "$_ORC_AWK_UTF8"' { print utf8($0) }') ;;
    esac
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\n'/\\n}
    s=${s//$'\r'/\\r}
    s=${s//$'\t'/\\t}
    for i in 1 2 3 4 5 6 7 8 11 12 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 127; do
        printf -v hex '%02x' "$i"
        printf -v ch '%b' "\\x$hex"
        case $s in *"$ch"*) s=${s//"$ch"/\\u00$hex} ;; esac
    done
    printf '"%s"' "$s"
)

# _orc_post PATH JSON_BODY: POST with the agent token, under the retry policy.
# Sets _orc_http_code; returns 0 on 2xx, 1 otherwise (a message goes to stderr).
_orc_post() {
    local path=$1 body=$2 detail re='"code"[[:space:]]*:[[:space:]]*"([^"]*)"' _edgex_extra=
    # The report's request key (kept by its retries, so the API stores it once): time
    # first, so the run's log sorts in the order reports were made, then this shell's
    # own process id (read through a child: $$ is the same in every subshell, and
    # BASHPID is bash 4; the script's subshells report too, with copies of the count)
    # and its count.
    _orc_requests=$((_orc_requests + 1))
    if [ -n "$_ORC_RUN_ID" ]; then
        printf -v _edgex_extra 'header = "X-Edgex-Run: %s"\nheader = "X-Edgex-Request: %s-%07d-%06d"\n' \
            "$_ORC_RUN_ID" "$(date +%s)" "$(sh -c 'echo "$PPID"')" "$_orc_requests"
    fi
    if _edgex_http POST "$_ORC_API_URL$path" "$_ORC_AGENT_TOKEN" 30 "$body"; then
        _orc_http_code=$_edgex_code
        return 0
    fi
    _orc_http_code=$_edgex_code
    if [ "$_edgex_code" = 000 ]; then
        detail="curl exit $_edgex_rc"
    else
        detail="HTTP $_edgex_code"
        if [[ $_edgex_body =~ $re ]]; then
            detail="$detail ${BASH_REMATCH[1]}"
        fi
    fi
    printf 'edgex: POST %s failed after %s attempt(s): %s\n' "$path" "$_edgex_attempt" "$detail" >&2
    return 1
}

# _orc_send STATUS MESSAGE [STEP]: one log entry for the dashboard. Never fatal:
# it returns 0 even when the entry could not be delivered (a warning goes to stderr).
# Entries are not posted one by one: each request is billed, and a run's entries
# ride with its next output report (_orc_deliver).
_orc_send() {
    local status=${1:-info} message=${2-} step=${3-} body
    case $status in
        info | success | warning | error) ;;
        *)
            printf 'edgex: _orc_send: unknown status %s (info|success|warning|error), sent as info\n' "$status" >&2
            status=info
            ;;
    esac
    body="{\"status\":\"$status\",\"message\":$(_orc_json "$message" 4096)"
    if [ -n "$step" ]; then
        body="$body,\"step\":$(_orc_json "$step" 100)"
    fi
    _orc_deliver "$body}" "$status" "$step"
    return 0
}

# _orc_deliver JSON_ENTRY STATUS STEP: where an entry goes.
# - The wrapper's own entries before the run (_orc_queueing): kept in _orc_queue for
#   the run's first report.
# - From the script while its output is captured: one line on the batcher's pipe (fd
#   57, given to the script's shell only), so it rides with the next report; a final
#   report (success|error, step complete) makes that report go at once. Only entries
#   of at most 512 bytes: POSIX writes no more at once on a pipe, and a longer write
#   could interleave with the output taggers'. A write in a subshell that ignores
#   SIGPIPE: a process the script left behind, writing once the batcher is gone,
#   must neither die of it nor lose the entry.
# - Otherwise (no capture, a long entry, the batcher gone): posted at once; a
#   delivered final report tells the wrapper (our parent shell when called from the
#   script's subshell) by a signal, not a pipe: a background process the script
#   leaves behind would hold a pipe open and keep the wrapper waiting.
_orc_deliver() {
    local kind=N
    case $3:$2 in complete:success | complete:error) kind=F ;; esac
    if [ -n "${_orc_queueing-}" ] && [ "$kind" = N ]; then
        _orc_queue="${_orc_queue:+$_orc_queue,}$1"
        return 0
    fi
    if [ -n "${_orc_entry_fd-}" ] && [ "$(_orc_bytes "$1")" -le 510 ] &&
        (trap '' PIPE && printf '%s%s\n' "$kind" "$1" >&57) 2>/dev/null; then
        return 0
    fi
    if _orc_post /v1/agent/feedback "$1" && [ "$kind" = F ]; then
        kill -USR1 "$_ORC_WRAPPER_PID" 2>/dev/null || true
    fi
    return 0
}

# _orc_bytes TEXT: its length in bytes, whatever the locale.
_orc_bytes() (
    LC_ALL=C
    printf '%s' "${#1}"
)

# _orc_system_info: "Hostname | OS | Arch | RAM | IP | User" on one line.
# Every probe may fail (no ip, no hostname -I, no IPv4 on en0): "unknown" then.
# shellcheck disable=SC2329  # called by the script
_orc_system_info() {
    local ram='' ip='' user='' bytes=''
    if [ -r /proc/meminfo ]; then
        ram=$(awk '/^MemTotal:/ { printf "%.1f GB", $2 / 1048576; exit }' /proc/meminfo 2>/dev/null) || ram=
    elif command -v sysctl >/dev/null 2>&1; then
        bytes=$(sysctl -n hw.memsize 2>/dev/null) || bytes=$(sysctl -n hw.physmem 2>/dev/null) || bytes=
        case $bytes in
            '' | *[!0-9]*) ;;
            *) ram=$(awk -v b="$bytes" 'BEGIN { printf "%.1f GB", b / 1073741824 }') || ram= ;;
        esac
    fi
    if command -v ip >/dev/null 2>&1; then
        ip=$({ ip -4 route get 1.1.1.1 2>/dev/null || true; } | awk '{ for (i = 1; i < NF; i++) if ($i == "src") { print $(i + 1); exit } }') || ip=
    fi
    if [ -z "$ip" ] && [ "$_ORC_OS" = macos ]; then
        ip=$(ipconfig getifaddr en0 2>/dev/null) || ip=$(ipconfig getifaddr en1 2>/dev/null) || ip=
    fi
    if [ -z "$ip" ]; then
        ip=$({ hostname -I 2>/dev/null || true; } | awk '{ print $1 }') || ip=
    fi
    if [ -z "$ip" ] && command -v ifconfig >/dev/null 2>&1; then
        ip=$({ ifconfig 2>/dev/null || true; } | awk '$1 == "inet" && $2 !~ /^127\./ { sub(/^addr:/, "", $2); print $2; exit }') || ip=
    fi
    user=$(id -un 2>/dev/null) || user=${USER:-unknown}
    printf '%s | %s | %s | %s | %s | %s\n' "$_ORC_HOSTNAME" "$_ORC_OS_VERSION" "$_ORC_ARCH" \
        "${ram:-unknown}" "${ip:-unknown}" "${user:-unknown}"
}

# _orc_is_root: status 0 when running as root.
# shellcheck disable=SC2329  # called by the script
_orc_is_root() {
    [ "${EUID:-$(id -u)}" -eq 0 ]
}

# _orc_retry 'COMMAND' [MAX_ATTEMPTS=3] [DELAY_SEC=5] [STEP=retry]: eval COMMAND
# until it succeeds; each failed attempt is reported (warning, then error on the
# last one). Returns the command's last status.
# shellcheck disable=SC2329  # called by the script
_orc_retry() {
    local cmd=$1 max=${2:-3} delay=${3:-5} step=${4:-retry} attempt=1 rc
    case $max in '' | *[!0-9]* | 0) max=3 ;; esac
    case $delay in '' | *[!0-9]*) delay=5 ;; esac
    while :; do
        if eval "$cmd"; then
            return 0
        else
            rc=$?
        fi
        if [ "$attempt" -ge "$max" ]; then
            _orc_send error "Command failed after $attempt attempt(s) (exit $rc): $cmd" "$step"
            return "$rc"
        fi
        _orc_send warning "Attempt $attempt/$max failed (exit $rc), retrying in ${delay}s: $cmd" "$step"
        sleep "$delay"
        attempt=$((attempt + 1))
    done
}

# GNU, BusyBox and recent macOS decode with -d; older macOS only with -D (there
# -d meant --debug and still exited 0, hence the check of the output); FreeBSD
# before 14 has b64decode -r; openssl is the last resort.
_orc_b64decode() {
    if [ "$(printf 'eA==' | base64 -d 2>/dev/null)" = x ]; then
        base64 -d
    elif [ "$(printf 'eA==' | base64 -D 2>/dev/null)" = x ]; then
        base64 -D
    elif [ "$(printf 'eA==\n' | b64decode -r 2>/dev/null)" = x ]; then
        b64decode -r
    else
        openssl base64 -d
    fi
}

# @edgex-include retry_policy.sh

_orc_main() {
    local script rc=0 first name
    _orc_completed=0
    _orc_signal=0
    trap '_orc_completed=1' USR1
    # Recorded here, acted on once the script's subshell (which gets the same
    # signal from its process group, with default handling) has ended; a report
    # being retried gives up at once (_edgex_stop), the final one retries again.
    trap '_orc_signal=2 _edgex_stop=1' INT
    trap '_orc_signal=15 _edgex_stop=1' TERM
    trap '_orc_signal=1 _edgex_stop=1' HUP
    if [ -z "$_ORC_API_URL" ] || [ -z "$_ORC_AGENT_TOKEN" ]; then
        printf 'edgex: EDGEX_API_URL and EDGEX_AGENT_TOKEN must be set (run through the bootstrapper)\n' >&2
        return 90
    fi
    # The wrapper's entries before the run wait for its first report (_orc_deliver).
    _orc_queue=
    _orc_queueing=1
    _orc_send info "Script started on $_ORC_HOSTNAME ($_ORC_OS_VERSION, $_ORC_ARCH)" start
    if ! script=$(printf '%s' '__EDGEX_SCRIPT_B64__' | _orc_b64decode); then
        _orc_final 94 "The wrapper could not decode the script (exit code 94)"
        return 94
    fi
    first=${script:0:4096}
    first=${first%%$'\n'*}
    if [ "${first%$'\r'}" != "$first" ]; then
        # Saved on Windows: bash would read every CR as part of a word.
        script=${script//$'\r\n'/$'\n'}
        script=${script%$'\r'}
        _orc_send warning "The script has CRLF (Windows) line endings: run with LF ones" start
    fi
    if [ "$_orc_signal" -eq 0 ]; then
        _orc_run "$script"
        rc=$_orc_rc
    fi
    case $_orc_stop in
        cancelled)
            _orc_final "$rc" "Script stopped: the platform cancelled this run (exit code $rc)" cancelled
            return "$rc"
            ;;
        timed_out)
            _orc_final "$rc" "Script killed at its time limit of ${EDGEX_TIMEOUT_SECONDS}s (exit code $rc)" timed_out
            return "$rc"
            ;;
    esac
    if [ "$_orc_signal" -ne 0 ]; then
        rc=$((128 + _orc_signal))
        case $_orc_signal in 1) name=SIGHUP ;; 2) name=SIGINT ;; *) name=SIGTERM ;; esac
        if [ "$_orc_completed" -eq 0 ]; then
            _orc_final "$rc" "Script interrupted by $name (exit code $rc)" failed
        fi
        return "$rc"
    fi
    if [ "$_orc_completed" -eq 0 ]; then
        if [ "$rc" -eq 0 ]; then
            _orc_final 0 "Script completed successfully"
        else
            _orc_final "$rc" "Script failed with exit code $rc"
        fi
    fi
    return "$rc"
}

# _orc_final EXIT_CODE MESSAGE [OUTCOME]: the run's final report, one request: the
# entries still waiting (_orc_queue, _orc_last_entries), the final entry, and the
# script's last output (_orc_last_output) when there is any.
# The message keeps the words "exit code N" that servers before exit_code read.
_orc_final() {
    local status=success entry entries body
    _edgex_stop=0
    [ "$1" -eq 0 ] || status=error
    entry="{\"status\":\"$status\",\"message\":$(_orc_json "$2" 4096),\"step\":\"complete\",\"exit_code\":$1"
    if [ -n "${3-}" ]; then
        entry="$entry,\"outcome\":\"$3\""
    fi
    entries=$_orc_queue${_orc_queue:+${_orc_last_entries:+,}}$_orc_last_entries
    body=$(_orc_body "${entries:+$entries,}$entry}" "$_orc_last_output")
    _orc_queue=''
    _orc_last_entries=''
    _orc_last_output=''
    _orc_post /v1/agent/feedback "$body" || true
}

# _orc_run SCRIPT: run the script as a job of its own (its own process group, so a
# cancel or a timeout ends it with everything it started) and report while it runs.
# Its stdout and stderr still reach this terminal; each line also goes, tagged and
# JSON-escaped by a small awk (_orc_tag), to one FIFO read by a batcher awk
# (_orc_batcher) that cuts the output, and the entries the script sends meanwhile
# (_orc_deliver), into reports: every EDGEX_HEARTBEAT_SECONDS (default 30; an empty
# one is the heartbeat) or sooner at 48 KiB, 40 entries or the script's own final
# report. This shell posts them (_orc_ship), reads the answer's "control" (stop:
# cancelled), kills the script at EDGEX_TIMEOUT_SECONDS (0 or unset: no limit) and
# keeps the last batch for the final report (_orc_last_output, _orc_last_entries).
# The FIFOs and the batches live in a private temp directory (mode 700) removed when
# the wrapper exits. Without mkfifo or /dev/fd the script runs as before, uncaptured,
# its entries posted one by one. Sets _orc_rc and _orc_stop (cancelled|timed_out).
_orc_run() {
    local script=$1 d hb tmo pid tag_o tag_e tick line stop_at=0 deadline=0 ended=0 end_at=0 closed=0
    _orc_stop=
    _orc_last_output=
    _orc_last_entries=
    _orc_queueing=
    hb=${EDGEX_HEARTBEAT_SECONDS:-30}
    case $hb in '' | *[!0-9]* | 0 | ?????*) hb=30 ;; esac
    tmo=${EDGEX_TIMEOUT_SECONDS:-0}
    case $tmo in '' | *[!0-9]* | ?????????*) tmo=0 ;; esac
    d=$(umask 077 && mktemp -d "${TMPDIR:-/tmp}/edgex.XXXXXXXX" 2>/dev/null) || d=
    if [ -z "$d" ] || [ ! -e /dev/fd/1 ] || ! mkfifo "$d/o" "$d/e" "$d/m" "$d/b" 2>/dev/null; then
        [ -z "$d" ] || rm -rf "$d"
        if [ -n "$_orc_queue" ]; then
            _orc_post /v1/agent/feedback "{\"entries\":[$_orc_queue]}" || true
            _orc_queue=
        fi
        (
            trap - USR1
            set +e +u
            set +o pipefail
            eval "$script"
        ) </dev/null
        _orc_rc=$?
        return 0
    fi
    _ORC_SPOOL=$d
    trap '[ -z "$_ORC_SPOOL" ] || rm -rf "$_ORC_SPOOL"' EXIT
    [ "$tmo" -eq 0 ] || deadline=$((SECONDS + tmo))
    # mawk reads its input in blocks unless told otherwise: the batcher would sit on
    # the clock's ticks and the live tail would lag.
    _orc_awk_opts=
    case $(awk -W version 2>&1 </dev/null) in *mawk*) _orc_awk_opts='-W interactive' ;; esac
    set -m
    _orc_batcher "$d" "$hb" <"$d/m" >"$d/b" &
    exec 5>"$d/m" 7<"$d/b"
    if [ -n "$_orc_queue" ]; then
        printf 'N%s\n' "$_orc_queue" >&5
        _orc_queue=
    fi
    _orc_tag O <"$d/o" 3>&5 5>&- 7<&- &
    tag_o=$!
    _orc_tag E <"$d/e" 3>&5 5>&- 7<&- >&2 &
    tag_e=$!
    # The clock stops with the wrapper: killed outright (SIGKILL, an OOM kill), the
    # wrapper cannot stop it, and its ticks would keep the batcher writing batches
    # into the spool for ever, an agent left behind.
    while kill -0 "$_ORC_WRAPPER_PID" 2>/dev/null; do
        printf 'T%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
        sleep 1
    done >&5 2>/dev/null 5>&- 7<&- &
    tick=$!
    # The script's entries go to the batcher through fd 57 (_orc_deliver): a number
    # scripts do not use, where its own `exec 5>file` cannot catch them.
    (
        trap - USR1
        _orc_entry_fd=57
        set +e +u
        set +o pipefail
        eval "$script"
    ) </dev/null >"$d/o" 2>"$d/e" 57>&5 5>&- 7<&- &
    pid=$!
    set +m
    while :; do
        line=
        if IFS= read -r -t 1 line <&7; then
            case $line in
                B*) _orc_ship "${line#B}" ;;
                C*) _orc_ship "${line#C}" final ;;
                L*)
                    _orc_batch "${line#L}"
                    _orc_last_output=$_orc_batch_output
                    _orc_last_entries=$_orc_batch_entries
                    break
                    ;;
            esac
        fi
        if [ "$ended" -eq 0 ]; then
            if ! kill -0 "$pid" 2>/dev/null; then
                wait "$pid"
                _orc_rc=$?
                ended=1
                end_at=$SECONDS
            elif [ "$stop_at" -gt 0 ]; then
                if [ $((SECONDS - stop_at)) -ge 5 ]; then
                    kill -KILL -- "-$pid" 2>/dev/null
                fi
            elif [ -n "$_orc_stop" ] || [ "$_orc_signal" -ne 0 ]; then
                kill -TERM -- "-$pid" 2>/dev/null
                stop_at=$SECONDS
            elif [ "$deadline" -gt 0 ] && [ "$SECONDS" -ge "$deadline" ]; then
                _orc_stop=timed_out
            fi
        fi
        # The script ended: let the taggers drain what it printed (a background
        # process it left holds their pipes: a few seconds at most), then the last batch.
        if [ "$ended" -eq 1 ] && [ "$closed" -eq 0 ]; then
            if { ! kill -0 "$tag_o" && ! kill -0 "$tag_e"; } 2>/dev/null || [ $((SECONDS - end_at)) -ge 5 ]; then
                kill -- "-$tag_o" "-$tag_e" "-$tick" 2>/dev/null
                printf 'X\n' >&5
                closed=1
            fi
        fi
    done
    exec 5>&- 7<&-
    rm -rf "$d"
    _ORC_SPOOL=
    if [ "$_orc_completed" -ne 0 ] && [ -n "$_orc_last_output$_orc_last_entries" ]; then
        # The script sent its own final report: what it printed and said after it goes on its own.
        _orc_post /v1/agent/feedback "$(_orc_body "$_orc_last_entries" "$_orc_last_output")" || true
        _orc_last_output=''
        _orc_last_entries=''
    fi
    return 0
}

# _orc_batch BATCH_FILE: read one batch of the batcher: _orc_batch_output (the output
# chunks' JSON array, empty when none) from the file, _orc_batch_entries (the
# entries, comma-separated JSON objects) from FILE.e; both files are removed.
_orc_batch() {
    _orc_batch_output=$(cat "$1" 2>/dev/null) || _orc_batch_output=
    [ "$_orc_batch_output" != '[]' ] || _orc_batch_output=
    _orc_batch_entries=$(cat "$1.e" 2>/dev/null) || _orc_batch_entries=
    rm -f "$1" "$1.e"
}

# _orc_body ENTRIES OUTPUT: a report's body: ENTRIES comma-separated JSON objects,
# OUTPUT the chunks' JSON array or empty (as _orc_batch reads them).
_orc_body() {
    if [ -n "$2" ]; then
        printf '{"entries":[%s],"output":%s}' "$1" "$2"
    else
        printf '{"entries":[%s]}' "$1"
    fi
}

# _orc_ship BATCH_FILE [final]: one report of the script's output and entries (or
# none: a heartbeat); "final" when it carries the script's own final report, which
# once delivered ends the wrapper's duty to send one. The answer's control "stop", or
# a coded 409/410 (the target or its deployment no longer runs), asks for the script
# to be stopped; not once the script reported its own completion.
_orc_ship() {
    local re='"control"[[:space:]]*:[[:space:]]*"stop"'
    _orc_batch "$1"
    if _orc_post /v1/agent/feedback "$(_orc_body "$_orc_batch_entries" "$_orc_batch_output")"; then
        [ "${2-}" != final ] || _orc_completed=1
        if [[ $_edgex_body =~ $re ]] && [ "$_orc_completed" -eq 0 ] && [ -z "$_orc_stop" ]; then
            _orc_stop=cancelled
        fi
    else
        case $_orc_http_code in
            409 | 410) [ "$_orc_completed" -ne 0 ] || [ -n "$_orc_stop" ] || _orc_stop=cancelled ;;
        esac
    fi
    return 0
}

# _orc_tag O|E: the script's output on one stream, line by line, to fd 3 as the
# batcher reads it: the tag, then the JSON-escaped text (bytes that are not UTF-8 as
# U+FFFD; the raw line still goes to stdout as it was; a long line in pieces of at
# most 480 bytes, never splitting a UTF-8 sequence, so each piece is one atomic write
# on the pipe, however many writers share it); the raw line goes on to stdout.
_orc_tag() {
    # shellcheck disable=SC2086  # the options are words
    LC_ALL=C awk $_orc_awk_opts -v tag="$1" "$_ORC_AWK_UTF8"'
    function rep(s, from, to,    out, p) {
        out = ""
        while ((p = index(s, from)) > 0) {
            out = out substr(s, 1, p - 1) to
            s = substr(s, p + length(from))
        }
        return out s
    }
    function esc(s,    i, c) {
        if (s ~ /[\200-\377]/) s = utf8(s)
        s = rep(s, "\\", "\\\\")
        s = rep(s, "\"", "\\\"")
        s = rep(s, "\n", "\\n")
        s = rep(s, "\r", "\\r")
        s = rep(s, "\t", "\\t")
        if (s ~ /[\001-\037\177]/) {
            for (i = 1; i < 128; i++) {
                if (i == 32) i = 127
                c = sprintf("%c", i)
                if (index(s, c)) s = rep(s, c, sprintf("\\u%04x", i))
            }
        }
        return s
    }
    {
        line = $0 "\n"
        printf "%s", line
        while (length(line) > 0) {
            n = length(line)
            if (n > 480) {
                n = 480
                while (n > 1 && substr(line, n + 1, 1) ~ /^[\200-\277]$/) n--
            }
            print tag esc(substr(line, 1, n)) > "/dev/fd/3"
            fflush("/dev/fd/3")
            line = substr(line, n + 1)
        }
    }'
}

# _orc_batcher DIR EVERY: reads the taggers' lines ("O" / "E" and the text), the
# script's entries ("N" and the JSON entry; "F" for its final report) and the clock's
# ticks ("T<time>", one a second), and writes each batch to a file DIR/bN (a JSON array
# of chunks {"stream", "at", "text"}, one per run of lines of one stream) and its
# entries, comma-separated, to DIR/bN.e, then its name, after "B", on stdout: every
# EVERY ticks, or when it holds 48 KiB, 400 chunks or 40 entries (the API takes 50 in
# one report, and the final report adds one); after "C" at once when it holds a final
# report. At the other ticks a "." wakes the wrapper's loop, which so never depends on
# `read -t`'s own timer alone (a signal racing that timer must not stall it until the
# next batch). "X" ends it: the last batch is named after "L".
_orc_batcher() {
    # shellcheck disable=SC2086  # the options are words
    LC_ALL=C awk $_orc_awk_opts -v dir="$1" -v every="$2" -v now="$(date -u +%Y-%m-%dT%H:%M:%SZ)" '
    function start() {
        n++
        f = dir "/b" n
        chunks = 0
        size = 0
        stream = ""
        ticks = 0
        entries = ""
        count = 0
        printf "[" > f
    }
    function flush(kind) {
        if (chunks > 0) printf "\"}" > f
        printf "]" > f
        close(f)
        if (count > 0) {
            printf "%s", entries > (f ".e")
            close(f ".e")
        }
        print kind f
        fflush()
        start()
    }
    BEGIN { start() }
    {
        t = substr($0, 1, 1)
        if (t == "T") {
            now = substr($0, 2)
            if (++ticks >= every) flush("B")
            else {
                print "."
                fflush()
            }
            next
        }
        if (t == "X") {
            flush("L")
            exit
        }
        if (t == "N" || t == "F") {
            entries = entries (count++ ? "," : "") substr($0, 2)
            if (t == "F") flush("C")
            else if (count >= 40) flush("B")
            next
        }
        s = (t == "O") ? "stdout" : "stderr"
        if (s != stream) {
            if (chunks > 0) printf "\"}," > f
            printf "{\"stream\":\"%s\",\"at\":\"%s\",\"text\":\"", s, now > f
            stream = s
            chunks++
        }
        printf "%s", substr($0, 2) > f
        size += length($0) - 1
        if (size >= 49152 || chunks >= 400) flush("B")
    }'
}

_orc_main </dev/null
exit "$?"
