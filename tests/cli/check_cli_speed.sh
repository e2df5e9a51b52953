#!/bin/sh
# The speed benchmark's script (bench/cli_speed.sh) on a small sample: it
# writes the sample, runs both tools the rounds asked for, and its summary
# names every tool with the sample's row count; bad arguments are refused.
# Times are not checked: they are the benchmark's output, not a test.
# usage: check_cli_speed.sh SCRIPT TOOL1 TOOL2 WORKDIR
set -u
script=$1 t1=$2 t2=$3 work=$4
fail=0
no() { echo "FAIL: $*"; fail=1; }
rm -rf "$work" && mkdir -p "$work" || exit 1
out=$(TMPDIR=$work sh "$script" -n 3 -c 40 -d 20 -s 3 "$t1" "$t2" 2>"$work/err")
rc=$?
[ $rc -eq 0 ] || no "exit $rc: $(cat "$work/err")"
sample=$work/retention-bench-40-20-3.csv
[ -s "$sample" ] || no "no sample at $sample"
rows=$(($(wc -l <"$sample") - 1))
[ "$rows" -gt 100 ] || no "sample of $rows rows"
[ "$(echo "$out" | grep -c '^round [123] ')" -eq 6 ] || no "not 6 runs: $out"
echo "$out" | grep -q "^$rows rows from $sample, 3 runs each" || no "summary without $rows rows: $out"
for t in "$t1" "$t2"; do
    echo "$out" | grep -q "^$t  *median [0-9.]* s ([0-9.]* million rows/s), fastest" || no "no median for $t: $out"
done
# The rounds the second tool won, from the runs' own lines.
wins=$(echo "$out" | awk -v t1="$t1" -v t2="$t2" '
    /^round / { if ($3 == t1) a[$2] = $4; else if ($3 == t2) b[$2] = $4 }
    END { for (r in a) w += b[r] < a[r]; print w + 0 }')
echo "$out" | grep -q "^second / first, round by round: median [0-9.]*, from [0-9.]* to [0-9.]*; the second faster in $wins of 3 rounds$" ||
    no "no round-by-round line with $wins wins: $out"
# The arithmetic, on two stand-ins for the tool that report set times for
# 4,000,000 rows: the first always 2 s, the second 1, 3, 1.5 and 2.5 s in
# turn. Three rounds: medians 2 and 1.5 s (2.00 and 2.67 million rows/s),
# fastest 2 and 1 s; ratios 0.5, 1.5, 0.75: median 0.75, the second
# faster in 2. Four rounds: the second's median 2 s; ratios median 1.
for f in a b; do
    cat >"$work/fake_$f" <<FAKE
#!/bin/sh
n=\$(cat "$work/fake_$f.n" 2>/dev/null || echo 0)
echo \$((n + 1)) >"$work/fake_$f.n"
if [ $f = a ]; then t=2.000; else set -- 1.000 3.000 1.500 2.500; shift \$n; t=\$1; fi
echo "retention: 4000000 rows read, 0 bad rows skipped, \$t s (0 rows/s)" >&2
FAKE
    chmod +x "$work/fake_$f"
done
for n in 3 4; do
    rm -f "$work"/fake_*.n
    out=$(sh "$script" -n $n -f "$sample" "$work/fake_a" "$work/fake_b" 2>&1) || no "stand-ins: $out"
    if [ $n = 3 ]; then
        bm="1.500 s (2.67 million rows/s)" rm="0.750, from 0.500 to 1.500; the second faster in 2 of 3"
    else
        bm="2.000 s (2.00 million rows/s)" rm="1.000, from 0.500 to 1.500; the second faster in 2 of 4"
    fi
    echo "$out" | grep -q "^4000000 rows from $sample, $n runs each" || no "stand-ins' summary: $out"
    echo "$out" | grep -q "^$work/fake_a  *median 2.000 s (2.00 million rows/s), fastest 2.000 s (2.00 million)$" ||
        no "first stand-in's median: $out"
    echo "$out" | grep -q "^$work/fake_b  *median $bm, fastest 1.000 s (4.00 million)$" ||
        no "second stand-in's median: $out"
    echo "$out" | grep -q "^second / first, round by round: median $rm rounds$" || no "stand-ins' rounds: $out"
    # Its first run: 1 s for 4,000,000 rows (and a peak, when GNU time is there).
    echo "$out" | grep -Eq "^round 1  $work/fake_b +1\.000 s   4\.00 million rows/s(  [0-9]+ MB peak)?$" ||
        no "a stand-in's run line: $out"
    # Each runs first in every other round.
    [ "$(echo "$out" | grep '^round ' | awk '$2 != r { r = $2; print $3 }' | tr '\n' ' ')" = \
      "$(if [ $n = 3 ]; then echo "$work/fake_a $work/fake_b $work/fake_a "; else echo "$work/fake_a $work/fake_b $work/fake_a $work/fake_b "; fi)" ] ||
        no "stand-ins' order: $out"
done
# The sample is written once: a second run reuses it.
touch -d '2000-01-01' "$sample"
TMPDIR=$work sh "$script" -n 1 -c 40 -d 20 -s 3 "$t1" >/dev/null 2>&1 || no "second run failed"
[ "$(find "$sample" -newermt '2001-01-01' | wc -l)" -eq 0 ] || no "the sample was written again"
# One tool: no round-by-round line; -f reads the given log.
out=$(sh "$script" -n 1 -f "$sample" "$t1" 2>&1) || no "-f run failed: $out"
echo "$out" | grep -q "^second / first" && no "round-by-round line with one tool"
echo "$out" | grep -q "^$rows rows from $sample, 1 runs each" || no "-f summary: $out"
# Refusals: exit 2 with a message, nothing run.
for args in "" "-n 0 $t1" "-n x $t1" "$work/none" "-f $work/none $t1"; do
    # shellcheck disable=SC2086 # the arguments are split on purpose
    msg=$(TMPDIR=$work sh "$script" $args 2>&1 >/dev/null)
    rc=$?
    [ $rc -eq 2 ] || no "'$args': exit $rc, expected 2"
    [ -n "$msg" ] || no "'$args': no message"
done
[ $fail -eq 0 ] && echo "cli_speed: all checks passed"
exit $fail
