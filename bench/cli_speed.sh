#!/bin/sh
# cli_speed.sh: the `retention` tool's parse-and-push speed on a generated
# sample, the figure of docs/cli.md ("Memory and speed").
#
#   bench/cli_speed.sh [-n RUNS] [-c CUSTOMERS] [-d DAYS] [-s SEED] [-f FILE] TOOL [TOOL...]
#
# Writes the sample `TOOL sample --customers C --days D --seed S` once (the
# first TOOL's; kept in $TMPDIR for later runs) unless -f names a log, then
# runs `TOOL report --stats` RUNS times per tool (default 8), the tools'
# order turning from round to round, on one CPU when taskset is there.
# Each run prints its parse-and-push seconds and rows per second (the
# --stats figure, before the report) and its peak memory when GNU time is
# installed; then each tool's median and fastest. With two tools it also
# prints the median of the second's time over the first's, round by round,
# and in how many rounds the second was faster: on a machine whose speed
# drifts, rounds compare builds better than medians taken apart.
#
# The defaults are the 10-million-row sample of docs/cli.md (190,000
# customers over 365 days, seed 7: 10,052,526 rows, 430 MB).
set -eu

runs=8 customers=190000 days=365 seed=7 file=
usage() {
    echo "usage: $0 [-n RUNS] [-c CUSTOMERS] [-d DAYS] [-s SEED] [-f FILE] TOOL [TOOL...]" >&2
    exit 2
}
while getopts n:c:d:s:f:h opt; do
    case $opt in
    n) runs=$OPTARG ;;
    c) customers=$OPTARG ;;
    d) days=$OPTARG ;;
    s) seed=$OPTARG ;;
    f) file=$OPTARG ;;
    *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
case $runs in '' | *[!0-9]* | 0) echo "$0: -n wants a positive number" >&2; exit 2 ;; esac
for t in "$@"; do
    [ -x "$t" ] || { echo "$0: $t: not an executable" >&2; exit 2; }
done

if [ -z "$file" ]; then
    file=${TMPDIR:-/tmp}/retention-bench-$customers-$days-$seed.csv
    if [ ! -s "$file" ]; then
        echo "writing the sample to $file" >&2
        "$1" sample --customers "$customers" --days "$days" --seed "$seed" >"$file.part"
        mv "$file.part" "$file"
    fi
fi
[ -r "$file" ] || { echo "$0: $file: cannot read" >&2; exit 2; }

pin=
if command -v taskset >/dev/null 2>&1 && command -v nproc >/dev/null 2>&1; then
    pin="taskset -c $(($(nproc) - 1))"
fi
gtime=
if [ -x /usr/bin/time ] && /usr/bin/time -f %M true >/dev/null 2>&1; then
    gtime="/usr/bin/time -f rss=%M"
fi

out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT INT TERM
ntools=$#
round=0
while [ $round -lt "$runs" ]; do
    # The order turns by one each round, so that every tool runs first in
    # as many rounds as the others.
    i=0
    order=
    while [ $i -lt $ntools ]; do
        order="$order $(((i + round) % ntools + 1))"
        i=$((i + 1))
    done
    for k in $order; do
        eval "t=\${$k}"
        # shellcheck disable=SC2086 # $pin and $gtime are commands with arguments
        if ! $gtime $pin "$t" report --stats "$file" >/dev/null 2>"$err"; then
            echo "$0: $t failed:" >&2
            cat "$err" >&2
            exit 1
        fi
        # The run's record (tool, round, seconds, rows, peak KB) to $out,
        # and its line to the terminal.
        awk -v tool="$k" -v round="$round" -v t="$t" -v out="$out" '
            / rows read, / { for (i = 1; i <= NF; i++) if ($i == "s") { s = $(i - 1); rows = $2 } }
            /^rss=/ { sub(/^rss=/, ""); rss = $0 }
            END {
                if (s == "") { print "no --stats line" > "/dev/stderr"; exit 1 }
                printf "%d %d %s %s %s\n", tool, round, s, rows, (rss == "" ? "-" : rss) >> out
                printf "round %d  %-40s %7.3f s  %5.2f million rows/s%s\n", round + 1, t, s,
                       rows / s / 1e6, rss == "" ? "" : sprintf("  %d MB peak", rss / 1000)
            }' "$err"
    done
    round=$((round + 1))
done

# The median, the smallest and the largest of numbers, one a line.
spread() {
    sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[1], v[NR] }'
}

echo
echo "$(awk 'NR == 1 { print $4 }' "$out") rows from $file, $runs runs each${pin:+, pinned to one CPU}:"
k=1
for t in "$@"; do
    awk -v k=$k '$1 == k { print $3 }' "$out" | spread |
        awk -v t="$t" -v rows="$(awk -v k=$k '$1 == k { print $4; exit }' "$out")" '{
            printf "%-40s median %.3f s (%.2f million rows/s), fastest %.3f s (%.2f million)\n",
                   t, $1, rows / $1 / 1e6, $2, rows / $2 / 1e6 }'
    k=$((k + 1))
done
if [ $ntools -eq 2 ]; then
    ratios=$(awk '{ t[$1, $2] = $3; n = $2 + 1 } END { for (r = 0; r < n; r++) printf "%.17g\n", t[2, r] / t[1, r] }' "$out")
    echo "$ratios" | spread | awk -v n="$runs" -v w="$(echo "$ratios" | awk '$1 < 1' | wc -l)" '{
        printf "second / first, round by round: median %.3f, from %.3f to %.3f; the second faster in %d of %d rounds\n",
               $1, $2, $3, w, n }'
fi
