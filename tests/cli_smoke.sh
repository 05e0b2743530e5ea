#!/bin/sh
# Every command-line tool and subcommand keeps the CLI rules (CONTRIBUTING):
# --help and -h print usage on stdout and exit 0, --version prints one line
# and exits 0, a usage error is one line on stderr naming the bad argument
# (exit 2), a failure one line naming what failed (exit 1), '-' is stdin
# or stdout.
set -eu
bin=$1
out=$(mktemp)
trap 'rm -f "$out" "$out".*' EXIT
fail() { # '-' is stdin and stdout.
printf 'notaurl\n' | run 0 "$bin/corio-check" --jsonl - -
grep -q '^{"url":"notaurl",' "$out" || fail "corio-check --jsonl - -: $(cat "$out")"
run 0 "$bin/corio-crawl" -o - --max-pages 1 http://127.0.0.1:9/
grep -q '^{"url":"http://127.0.0.1:9/",' "$out" || fail "corio-crawl -o -: $(cat "$out")"
echo "cli_smoke: $*" >&2; exit 1; }

# run WANT_STATUS CMD...: runs CMD (10 s at most) with stdout in $out,
# stderr in $out.err, and checks its exit status.
run() {
    want=$1
    shift
    status=0
    timeout 10 "$@" > "$out" 2> "$out.err" || status=$?
    [ "$status" -eq "$want" ] || fail "$*: exit status $status, not $want: $(cat "$out.err")"
}
# one_line WORD CMD...: stderr is one line naming WORD, stdout is empty.
one_line() {
    [ "$(wc -l < "$out.err")" -eq 1 ] && grep -qF -- "$1" "$out.err" ||
        fail "$2: stderr is not one line naming '$1': $(cat "$out.err")"
    [ ! -s "$out" ] || fail "$2: printed on stdout: $(cat "$out")"
}

for cmd in animals "animals serve" "animals say" "animals init-db" check counter crawl fakeweb \
    "fakeweb urls" pubsub; do
    tool=corio-${cmd%% *}
    # shellcheck disable=SC2086
    set -- $bin/corio-$cmd
    for h in --help -h; do
        run 0 "$@" $h
        head -1 "$out" | grep -q '^usage: ' || fail "$cmd $h: no usage line: $(head -1 "$out")"
        [ ! -s "$out.err" ] || fail "$cmd $h: wrote on stderr: $(cat "$out.err")"
    done
    run 0 "$@" --version
    [ "$(wc -l < "$out")" -eq 1 ] && grep -q "^$tool (corio) [0-9]" "$out" ||
        fail "$cmd --version: $(cat "$out" "$out.err")"
    run 2 "$@" --no-such-option
    one_line --no-such-option "$cmd --no-such-option"
done

# A bad value names the option and the value.
for cmd in counter pubsub fakeweb "animals serve"; do
    # shellcheck disable=SC2086
    run 2 $bin/corio-$cmd --port 70000
    one_line "--port" "$cmd --port 70000"
    grep -q 70000 "$out.err" || fail "$cmd --port 70000: the value is not named: $(cat "$out.err")"
    # 192.0.2.1 (TEST-NET-1) is no address of this machine: a failure (1).
    # shellcheck disable=SC2086
    run 1 $bin/corio-$cmd --host 192.0.2.1 --port 0
    one_line 192.0.2.1 "$cmd --host 192.0.2.1"
done
run 1 "$bin/corio-check" "$out.missing"
one_line "$out.missing" "corio-check MISSING"
run 1 "$bin/corio-crawl" -o "$out.missing/x" http://127.0.0.1:9/
one_line "$out.missing/x" "corio-crawl -o MISSING/x"
# '-' is stdin and stdout.
printf 'notaurl\n' | run 0 "$bin/corio-check" --jsonl - -
grep -q '^{"url":"notaurl",' "$out" || fail "corio-check --jsonl - -: $(cat "$out")"
run 0 "$bin/corio-crawl" -o - --max-pages 1 http://127.0.0.1:9/
grep -q '^{"url":"http://127.0.0.1:9/",' "$out" || fail "corio-crawl -o -: $(cat "$out")"
echo "cli_smoke: --help, --version, exit statuses and one-line errors as expected"
