# >>> edgex retry policy: written once, in templates/retry_policy.sh, and inserted here by edgex.wrappers.
# _edgex_http METHOD URL TOKEN MAX_TIME [JSON_BODY]: one API call, retried while it
# fails in a transient way: a network error, 502/503/504, or a 429 whose body carries
# no error code (the API gateway's throttle; a coded 429 such as RERUN_LIMIT_EXCEEDED
# is the API's final word). Before attempt n+1 it waits a random time in
# [0, min(60 s, base * 2^(n-1))] (exponential backoff, full jitter) and at least the
# answer's Retry-After; at most EDGEX_RETRY_ATTEMPTS attempts (default 8) and
# EDGEX_RETRY_MAX_WAIT seconds of waiting in all (default 300); base is
# EDGEX_RETRY_BASE_DELAY seconds (default 1, decimals allowed).
# The token reaches curl through a config on a file descriptor, never argv; so do the
# request's own headers, from _edgex_extra (curl config lines, empty by default).
# Sets _edgex_code (HTTP status, 000 without an answer), _edgex_rc (curl's exit
# status), _edgex_body, _edgex_head (the answer's headers, first 16 kB) and
# _edgex_attempt; returns 0 on 2xx, else 1. Safe under
# `set -euo pipefail`: scripts that use it run that way.
# A signal trap may set _edgex_stop=1: a failed attempt is then the last, and a wait
# cut short by the signal is not slept again (Ctrl-C must not wait out the backoff).
_edgex_http() {
    local method=$1 url=$2 token=$3 max_time=$4 body=${5-} out head rest after waited=0 attempts
    local nl=$'\n' blank=$'\r\n\r\n' re='[Rr][Ee][Tt][Rr][Yy]-[Aa][Ff][Tt][Ee][Rr]:[[:space:]]*([0-9]+)'
    attempts=${EDGEX_RETRY_ATTEMPTS:-8}
    case $attempts in '' | *[!0-9]* | 0 | ????*) attempts=8 ;; esac
    _edgex_attempt=0
    while :; do
        _edgex_attempt=$((_edgex_attempt + 1))
        _edgex_code=000
        _edgex_body=
        head=
        after=
        if [ "$method" = POST ]; then
            if out=$(printf '%s' "$body" | curl -sS -D - --connect-timeout 10 --max-time "$max_time" \
                -K <(printf 'header = "Authorization: Bearer %s"\n%s' "$token" "${_edgex_extra-}") \
                -H 'Content-Type: application/json' --data-binary @- \
                -w '\n%{http_code}' "$url" 2>/dev/null); then
                _edgex_rc=0
            else
                _edgex_rc=$?
            fi
        else
            # ${_edgex_compressed:+...}: set by the bootstrapper when its curl decodes gzip
            if out=$(curl -sS -D - --connect-timeout 10 --max-time "$max_time" ${_edgex_compressed:+--compressed} \
                -K <(printf 'header = "Authorization: Bearer %s"\n%s' "$token" "${_edgex_extra-}") \
                -w '\n%{http_code}' "$url" 2>/dev/null); then
                _edgex_rc=0
            else
                _edgex_rc=$?
            fi
        fi
        if [ "$_edgex_rc" -eq 0 ]; then
            _edgex_code=${out##*"$nl"}
            out=${out%"$nl"*}
            # -D - put the header blocks (one per answer: 100 Continue, then the real one)
            # first. Patterns only ever see the first 16 kB: the body may be megabytes.
            while [ "${out:0:5}" = HTTP/ ]; do
                head=${out:0:16384}
                rest=${head#*"$blank"}
                if [ "$rest" = "$head" ]; then
                    break
                fi
                out=${out:$((${#head} - ${#rest}))}
                head=${head:0:$((${#head} - ${#rest}))}
            done
            _edgex_body=$out
            _edgex_head=$head
            case $_edgex_code in 2??) return 0 ;; esac
            if [[ $head =~ $re ]]; then
                after=${BASH_REMATCH[1]}
            fi
        fi
        if ! _edgex_retryable || [ "${_edgex_stop:-0}" != 0 ]; then
            return 1
        fi
        if ! _edgex_backoff "$after" "$waited" "$attempts"; then
            return 1
        fi
        waited=$((waited + _edgex_delay))
        _edgex_sleep_ms "$_edgex_delay"
    done
}

# _edgex_retryable: status 0 when the last answer (_edgex_code, _edgex_rc, _edgex_body) is transient.
_edgex_retryable() {
    local re='"code"[[:space:]]*:[[:space:]]*"[A-Za-z0-9_]'
    case $_edgex_code in
        000)
            # What a flaky network does: resolve, connect, timeout, TLS handshake,
            # empty reply, send/receive errors, a gzip answer that no longer decodes
            # (61: a byte changed on the way), HTTP/2 stream errors.
            case $_edgex_rc in 5 | 6 | 7 | 16 | 18 | 28 | 35 | 52 | 55 | 56 | 61 | 92) return 0 ;; esac
            ;;
        502 | 503 | 504) return 0 ;;
        429)
            if [[ $_edgex_body =~ $re ]]; then
                return 1
            fi
            return 0
            ;;
    esac
    return 1
}

# _edgex_backoff RETRY_AFTER WAITED_MS MAX_ATTEMPTS: sets _edgex_delay (ms) before the
# next attempt; status 1 when the attempts or the total wait are spent.
_edgex_backoff() {
    local after=$1 waited=$2 attempts=$3 base budget cap=0 i=1
    if [ "$_edgex_attempt" -ge "$attempts" ]; then
        return 1
    fi
    _edgex_ms "${EDGEX_RETRY_BASE_DELAY:-}" 1000
    base=$_edgex_ms_value
    _edgex_ms "${EDGEX_RETRY_MAX_WAIT:-}" 300000
    budget=$_edgex_ms_value
    cap=$base
    while [ "$i" -lt "$_edgex_attempt" ] && [ "$cap" -lt 60000 ]; do
        cap=$((cap * 2))
        i=$((i + 1))
    done
    if [ "$cap" -gt 60000 ]; then
        cap=60000
    fi
    _edgex_delay=$(((RANDOM * 32768 + RANDOM) % (cap + 1)))
    case $after in
        '') ;;
        ??????*) _edgex_delay=$((budget + 1)) ;;
        *)
            if [ $((10#$after * 1000)) -gt "$_edgex_delay" ]; then
                _edgex_delay=$((10#$after * 1000))
            fi
            ;;
    esac
    if [ $((waited + _edgex_delay)) -gt "$budget" ]; then
        return 1
    fi
    return 0
}

# _edgex_ms SECONDS DEFAULT_MS: sets _edgex_ms_value to SECONDS ("2", "0.25") in ms.
_edgex_ms() {
    local v=$1 int frac
    case $v in
        '' | *[!0-9.]* | *.*.* | . | ??????????*) _edgex_ms_value=$2 ;;
        *.*)
            int=${v%%.*}
            frac=${v#*.}000
            _edgex_ms_value=$((10#${int:-0} * 1000 + 10#${frac:0:3}))
            ;;
        *) _edgex_ms_value=$((10#$v * 1000)) ;;
    esac
}

# _edgex_sleep_ms MS: sleep that long (whole seconds where sleep takes no fractions).
_edgex_sleep_ms() {
    local s
    if [ "$1" -gt 0 ]; then
        printf -v s '%d.%03d' $(($1 / 1000)) $(($1 % 1000))
        sleep "$s" 2>/dev/null || [ "${_edgex_stop:-0}" != 0 ] || sleep $((($1 + 999) / 1000))
    fi
}
# <<< edgex retry policy
