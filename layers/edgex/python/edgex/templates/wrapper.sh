#!/usr/bin/env bash
# Edgex wrapper (bash 3.2+). GET /v1/agent/download serves this text with the
# script's base64 at one placeholder; the bootstrapper pipes it into `bash -s`.
# The text is the same for every machine of a deployment: the token and machine
# facts come from the environment the bootstrapper sets:
#   EDGEX_API_URL, EDGEX_AGENT_TOKEN, EDGEX_MACHINE_ID, EDGEX_HOSTNAME
#   EDGEX_RETRY_BASE_DELAY  first retry delay in whole seconds (default 1)
#
# Helpers for the script: _orc_send, _orc_system_info, _orc_is_root, _orc_retry;
# read-only variables $_ORC_OS, $_ORC_OS_VERSION, $_ORC_ARCH, $_ORC_MACHINE_ID,
# $_ORC_HOSTNAME.
#
# The script is decoded in memory and run by eval in a subshell (stdin /dev/null),
# so its `exit` ends only itself. Unless it reported completion itself
# (`_orc_send success|error ... complete`), the wrapper sends the final status:
# success/complete on exit 0, error/complete with the exit code otherwise.
# Exit status: the script's; 90 when the environment above is missing; 94 when
# the script cannot be decoded.

_ORC_API_URL=${EDGEX_API_URL:-}
_ORC_AGENT_TOKEN=${EDGEX_AGENT_TOKEN:-}
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

# _orc_json TEXT: TEXT as a JSON string (quotes, backslashes, control characters).
_orc_json() {
    local s=$1 i hex ch
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\n'/\\n}
    s=${s//$'\r'/\\r}
    s=${s//$'\t'/\\t}
    for i in 1 2 3 4 5 6 7 8 11 12 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31; do
        printf -v hex '%02x' "$i"
        printf -v ch '%b' "\\x$hex"
        case $s in *"$ch"*) s=${s//"$ch"/\\u00$hex} ;; esac
    done
    printf '"%s"' "$s"
}

# _orc_post PATH JSON_BODY: POST with the agent token. Retries network errors and
# 502/503/504 (5 attempts, exponential backoff); other HTTP errors are final.
# Sets _orc_http_code; returns 0 on 2xx, 1 otherwise (a message goes to stderr).
_orc_post() {
    local path=$1 body=$2 attempt=1 delay out rc nl=$'\n' answer re detail
    delay=${EDGEX_RETRY_BASE_DELAY:-1}
    case $delay in '' | *[!0-9]*) delay=1 ;; esac
    while :; do
        out=$(printf '%s' "$body" | curl -sS --connect-timeout 10 --max-time 30 \
            -K <(printf 'header = "Authorization: Bearer %s"\n' "$_ORC_AGENT_TOKEN") \
            -H 'Content-Type: application/json' --data-binary @- \
            -w '\n%{http_code}' "$_ORC_API_URL$path" 2>/dev/null)
        rc=$?
        _orc_http_code=000
        if [ "$rc" -eq 0 ]; then
            _orc_http_code=${out##*"$nl"}
            answer=${out%"$nl"*}
            case $_orc_http_code in
                2??) return 0 ;;
                502 | 503 | 504) ;;
                *) break ;;
            esac
        else
            case $rc in
                5 | 6 | 7 | 16 | 18 | 28 | 35 | 52 | 55 | 56 | 92) ;;
                *) break ;;
            esac
        fi
        [ "$attempt" -ge 5 ] && break
        sleep "$delay"
        delay=$((delay * 2))
        attempt=$((attempt + 1))
    done
    if [ "$_orc_http_code" = 000 ]; then
        detail="curl exit $rc"
    else
        detail="HTTP $_orc_http_code"
        re='"code"[[:space:]]*:[[:space:]]*"([^"]*)"'
        [[ $answer =~ $re ]] && detail="$detail ${BASH_REMATCH[1]}"
    fi
    printf 'edgex: POST %s failed after %s attempt(s): %s\n' "$path" "$attempt" "$detail" >&2
    return 1
}

# _orc_send STATUS MESSAGE [STEP]: one log entry for the dashboard. Never fatal:
# it returns 0 even when the entry could not be delivered (a warning goes to stderr).
_orc_send() {
    local status=${1:-info} message=${2-} step=${3-} body
    case $status in
        info | success | warning | error) ;;
        *)
            printf 'edgex: _orc_send: unknown status %s (info|success|warning|error), sent as info\n' "$status" >&2
            status=info
            ;;
    esac
    body="{\"status\":\"$status\",\"message\":$(_orc_json "${message:0:4096}")"
    [ -n "$step" ] && body="$body,\"step\":$(_orc_json "${step:0:100}")"
    body="$body}"
    if _orc_post /v1/agent/feedback "$body" && [ "$step" = complete ]; then
        case $status in
            # Tell the wrapper (our parent shell when called from the script's
            # subshell) that the final status is in. A signal, not a pipe: a
            # background process the script leaves behind would hold a pipe open
            # and keep the wrapper waiting.
            success | error) kill -USR1 "$_ORC_WRAPPER_PID" 2>/dev/null ;;
        esac
    fi
    return 0
}

# _orc_system_info: "Hostname | OS | Arch | RAM | IP | User" on one line.
# shellcheck disable=SC2329  # called by the script
_orc_system_info() {
    local ram='' ip='' user
    if [ -r /proc/meminfo ]; then
        ram=$(awk '/^MemTotal:/ { printf "%.1f GB", $2 / 1048576; exit }' /proc/meminfo)
    elif command -v sysctl >/dev/null 2>&1; then
        ram=$(sysctl -n hw.memsize 2>/dev/null || sysctl -n hw.physmem 2>/dev/null)
        [ -n "$ram" ] && ram=$(awk -v b="$ram" 'BEGIN { printf "%.1f GB", b / 1073741824 }')
    fi
    if command -v ip >/dev/null 2>&1; then
        ip=$(ip -4 route get 1.1.1.1 2>/dev/null | awk '{ for (i = 1; i < NF; i++) if ($i == "src") { print $(i + 1); exit } }')
    fi
    if [ -z "$ip" ] && [ "$_ORC_OS" = macos ]; then
        ip=$(ipconfig getifaddr en0 2>/dev/null || ipconfig getifaddr en1 2>/dev/null)
    fi
    if [ -z "$ip" ]; then
        ip=$(hostname -I 2>/dev/null | awk '{ print $1 }')
    fi
    user=$(id -un 2>/dev/null) || user=${USER:-unknown}
    printf '%s | %s | %s | %s | %s | %s\n' "$_ORC_HOSTNAME" "$_ORC_OS_VERSION" "$_ORC_ARCH" \
        "${ram:-unknown}" "${ip:-unknown}" "$user"
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
        eval "$cmd" && return 0
        rc=$?
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
# -d meant --debug and still exited 0, hence the check of the output).
_orc_b64decode() {
    if [ "$(printf 'eA==' | base64 -d 2>/dev/null)" = x ]; then
        base64 -d
    else
        base64 -D
    fi
}

_orc_main() {
    local script rc=0
    _orc_completed=0
    trap '_orc_completed=1' USR1
    if [ -z "$_ORC_API_URL" ] || [ -z "$_ORC_AGENT_TOKEN" ]; then
        printf 'edgex: EDGEX_API_URL and EDGEX_AGENT_TOKEN must be set (run through the bootstrapper)\n' >&2
        return 90
    fi
    _orc_send info "Script started on $_ORC_HOSTNAME ($_ORC_OS_VERSION, $_ORC_ARCH)" start
    if ! script=$(printf '%s' '__EDGEX_SCRIPT_B64__' | _orc_b64decode); then
        _orc_send error "The wrapper could not decode the script" complete
        return 94
    fi
    (
        set +e +u
        set +o pipefail
        eval "$script"
    ) </dev/null
    rc=$?
    if [ "$_orc_completed" -eq 0 ]; then
        if [ "$rc" -eq 0 ]; then
            _orc_send success "Script completed successfully" complete
        else
            _orc_send error "Script failed with exit code $rc" complete
        fi
    fi
    return "$rc"
}

_orc_main </dev/null
exit "$?"
