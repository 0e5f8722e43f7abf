#!/usr/bin/env bash
# Edgex bootstrapper (bash 3.2+, Linux / macOS / BSD). Served by
# GET /v1/agent/installer?type=bash and meant to be piped into bash:
#   curl -fsSL -H 'Authorization: Bearer <master token>' '<api>/v1/agent/installer?type=bash' | bash
#
# It enrolls this machine (POST /v1/agent/enroll, master token), downloads the
# payload (GET /v1/agent/download, agent token) and runs it in memory: the
# payload is piped into a child `bash -s`, never written to disk and never put on
# a command line (it can exceed ARG_MAX). Tokens never appear in any argv either:
# curl gets its Authorization header from a config on a file descriptor (-K <(...)).
# Everything runs inside one function called on the last line, so a download cut
# short executes nothing and nothing here reads the rest of the piped script.
#
# Environment overrides: EDGEX_MACHINE_ID, EDGEX_HOSTNAME (replace the detected
# values), EDGEX_RETRY_BASE_DELAY (first retry delay in whole seconds, default 1).
#
# Exit status:
#   the payload's own (= the script's exit status) once the payload has run;
#   90  a prerequisite is missing (curl, bash, a way to derive a machine id);
#   91  the API could not be reached (network error after 5 attempts, or TLS error);
#   92  the API refused the request (HTTP error; its code and message go to stderr);
#   93  the API answered something unexpected (no agent_token, empty payload).

_edgex_main() {
    local api_url='__EDGEX_API_URL__'
    local master_token='__EDGEX_MASTER_TOKEN__'
    local machine_id host_name body agent_token payload re

    if ! command -v curl >/dev/null 2>&1; then
        _edgex_fail 90 "curl is required"
        return
    fi
    if ! command -v bash >/dev/null 2>&1; then
        _edgex_fail 90 "bash must be on PATH"
        return
    fi

    host_name=${EDGEX_HOSTNAME:-}
    if [ -z "$host_name" ]; then
        host_name=$(hostname 2>/dev/null) || host_name=
        [ -n "$host_name" ] || host_name=${HOSTNAME:-}
    fi
    if [ -z "$host_name" ]; then
        _edgex_fail 90 "cannot determine the hostname (set EDGEX_HOSTNAME)"
        return
    fi

    machine_id=${EDGEX_MACHINE_ID:-}
    [ -n "$machine_id" ] || machine_id=$(_edgex_machine_id "$host_name")
    if [ -z "$machine_id" ]; then
        _edgex_fail 90 "cannot determine a machine id (set EDGEX_MACHINE_ID)"
        return
    fi

    body="{\"hostname\":$(_edgex_json "$host_name"),\"machine_id\":$(_edgex_json "$machine_id")}"
    _edgex_request "$api_url" POST /v1/agent/enroll "$master_token" 60 "$body" || return
    re='"agent_token"[[:space:]]*:[[:space:]]*"([A-Za-z0-9_-]+)"'
    if [[ $_edgex_body =~ $re ]]; then
        agent_token=${BASH_REMATCH[1]}
    else
        _edgex_fail 93 "enroll: the answer carries no agent_token"
        return
    fi
    printf 'edgex: enrolled %s (machine id %s)\n' "$host_name" "$machine_id" >&2

    _edgex_request "$api_url" GET /v1/agent/download "$agent_token" 300 || return
    payload=$_edgex_body
    _edgex_body=
    if [ -z "$payload" ]; then
        _edgex_fail 93 "download: empty payload"
        return
    fi

    # The payload reads its inputs from the environment (assignments, not argv);
    # printf is a builtin, so the payload text never reaches an exec'd argv either.
    printf '%s\n' "$payload" |
        EDGEX_API_URL=$api_url EDGEX_AGENT_TOKEN=$agent_token \
        EDGEX_MACHINE_ID=$machine_id EDGEX_HOSTNAME=$host_name bash -s
}

# _edgex_fail CODE MESSAGE: report on stderr and set the status the caller returns.
_edgex_fail() {
    printf 'edgex: %s\n' "$2" >&2
    return "$1"
}

# _edgex_json TEXT: TEXT as a JSON string (quotes, backslashes, control characters).
_edgex_json() {
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

# _edgex_machine_id HOSTNAME: a stable id for this machine, on stdout.
_edgex_machine_id() {
    local id='' f macs
    for f in /etc/machine-id /var/lib/dbus/machine-id; do
        if [ -r "$f" ]; then
            IFS= read -r id <"$f" || true
            id=${id//[[:space:]]/}
            [ -n "$id" ] && break
        fi
    done
    if [ -z "$id" ] && command -v ioreg >/dev/null 2>&1; then
        id=$(ioreg -rd1 -c IOPlatformExpertDevice 2>/dev/null | awk -F'"' '/IOPlatformUUID/ { print $4; exit }')
    fi
    if [ -z "$id" ]; then
        if [ -d /sys/class/net ]; then
            macs=$(cat /sys/class/net/*/address 2>/dev/null | sort -u)
        else
            macs=$(ifconfig -a 2>/dev/null | awk '/ether|HWaddr/ { for (i = 1; i < NF; i++) if ($i == "ether" || $i == "HWaddr") print $(i + 1) }' | sort -u)
        fi
        id=$(printf '%s\n%s\n' "$1" "$macs" | _edgex_sha256)
        [ -n "$id" ] && id="fallback:$id"
    fi
    printf '%s' "$id"
}

_edgex_sha256() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum | awk '{ print $1 }'
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 | awk '{ print $1 }'
    elif command -v openssl >/dev/null 2>&1; then
        openssl dgst -sha256 | awk '{ print $NF }'
    fi
}

# _edgex_request API_URL METHOD PATH TOKEN MAX_TIME [JSON_BODY]
# Sets _edgex_body to the answer. Retries network errors and 502/503/504 with
# exponential backoff (5 attempts); any other HTTP error is final. Returns 0 on
# 2xx, else the bootstrapper exit status (91 network, 92 HTTP error).
_edgex_request() {
    local api_url=$1 method=$2 path=$3 token=$4 max_time=$5 body=${6-}
    local attempt=1 delay out rc code nl=$'\n' err_code err_msg re
    delay=${EDGEX_RETRY_BASE_DELAY:-1}
    case $delay in '' | *[!0-9]*) delay=1 ;; esac
    _edgex_body=
    while :; do
        if [ "$method" = POST ]; then
            out=$(printf '%s' "$body" | curl -sS --connect-timeout 10 --max-time "$max_time" \
                -K <(printf 'header = "Authorization: Bearer %s"\n' "$token") \
                -H 'Content-Type: application/json' --data-binary @- \
                -w '\n%{http_code}' "$api_url$path")
        else
            out=$(curl -sS --connect-timeout 10 --max-time "$max_time" \
                -K <(printf 'header = "Authorization: Bearer %s"\n' "$token") \
                -w '\n%{http_code}' "$api_url$path")
        fi
        rc=$?
        code=000
        if [ "$rc" -eq 0 ]; then
            code=${out##*"$nl"}
            _edgex_body=${out%"$nl"*}
            case $code in
                2??) return 0 ;;
                502 | 503 | 504) ;;
                *) break ;;
            esac
        else
            # Retry what a flaky network does: resolve, connect, timeout, TLS
            # handshake, empty reply, send/receive errors, HTTP/2 stream errors.
            case $rc in
                5 | 6 | 7 | 16 | 18 | 28 | 35 | 52 | 55 | 56 | 92) ;;
                *) break ;;
            esac
        fi
        if [ "$attempt" -ge 5 ]; then
            break
        fi
        sleep "$delay"
        delay=$((delay * 2))
        attempt=$((attempt + 1))
    done
    if [ "$code" = 000 ]; then
        _edgex_fail 91 "$method $path: cannot reach $api_url (curl exit $rc after $attempt attempt(s))"
        return
    fi
    err_code=UNKNOWN
    err_msg=
    re='"code"[[:space:]]*:[[:space:]]*"([^"]*)"'
    [[ $_edgex_body =~ $re ]] && err_code=${BASH_REMATCH[1]}
    re='"message"[[:space:]]*:[[:space:]]*"(([^"\\]|\\.)*)"'
    [[ $_edgex_body =~ $re ]] && err_msg=${BASH_REMATCH[1]}
    _edgex_fail 92 "$method $path: HTTP $code $err_code: $err_msg"
}

_edgex_main </dev/null
exit "$?"
