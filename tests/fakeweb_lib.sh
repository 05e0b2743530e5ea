# Sourced by the tools' shell tests: starts corio-fakeweb on a kernel-chosen
# port (extra arguments passed on), sets $fw_pid and $base, and stops it on
# exit. Needs $bin.
fw_out=$(mktemp)
fw_pid=
fw_cleanup() {
    [ -n "$fw_pid" ] && kill "$fw_pid" 2>/dev/null && wait "$fw_pid" 2>/dev/null
    rm -f "$fw_out"
}
trap 'fw_cleanup' EXIT
start_fakeweb() {
    # Emptied here, not only by the child's redirection: on a restart the
    # loop below could otherwise read the last server's line first.
    : > "$fw_out"
    "$bin/corio-fakeweb" --port 0 "$@" > "$fw_out" &
    fw_pid=$!
    for _ in $(seq 200); do grep -q listening "$fw_out" && break; sleep 0.05; done
    base=$(sed -n 's/^listening on \(http:.*\)$/\1/p' "$fw_out")
    [ -n "$base" ] || { echo "corio-fakeweb did not start" >&2; exit 1; }
}
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
