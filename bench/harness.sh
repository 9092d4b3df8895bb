# Shell helpers of the load harness, sourced by bench/run and bench/flamegraphs/run. They
# use the caller's $addr (where the server listens), $connections and $work (a scratch
# folder), and keep the running server's pid in $server_pid.

need() { # need COMMAND DEBIAN_PACKAGE
    command -v "$1" >/dev/null && return 0
    echo "installing $2 for $1" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}

start() { # start BINARY ARGS...: on core 0, waits until it answers
    taskset -c 0 "$@" >"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 100); do
        curl -s -o /dev/null "http://$addr/incr" && return 0
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "error: $* did not start:" >&2
    cat "$work/server.log" >&2
    exit 1
}

stop() {
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
}

cookies() { # cookies FILE: $connections fresh sessions, one `name=value` a line
    : >"$1"
    for _ in $(seq "$connections"); do
        curl -s -D - -o /dev/null "http://$addr/incr" \
            | tr -d '\r' | grep -i '^set-cookie:' | head -n 1 \
            | sed -e 's/^[Ss]et-[Cc]ookie: *//' -e 's/;.*//' >>"$1"
    done
    [ "$(grep -c = "$1")" -eq "$connections" ] || { echo "error: no session cookies" >&2; exit 1; }
}

unread_cookies() { # unread_cookies FILE: for a server without sessions, the same request
    # shape: $connections cookies that nothing reads
    for _ in $(seq "$connections"); do echo "unused=1"; done >"$1"
}
