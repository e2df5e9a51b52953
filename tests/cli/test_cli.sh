#!/bin/sh
# test_cli.sh: end-to-end tests of the `retention` tool on small hand-made
# logs (tests/cli/data), checked field by field with jsonget.
#
#   sh test_cli.sh RETENTION JSONGET SOURCE_DIR
#
# Expected values are computed by hand in the comments. Metrics that another
# module of the library does not answer yet are listed under "unavailable"
# and checked only when present, so the tests keep passing as modules land.
set -u
RT=$1
JG=$2
SRC=$3
DATA=$SRC/tests/cli/data
TMP=$(mktemp -d "${TMPDIR:-/tmp}/rtn-cli.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT INT TERM
fails=0
checks=0

fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

# check FILE PATH EXPECTED: one JSON field.
check() {
    checks=$((checks + 1))
    "$JG" "$1" "$2" "$3" || fail "$1 $2 (expected $3)"
}

# check_if FILE METRIC PATH EXPECTED: PATH only when the library answers
# METRIC (it is not listed under "unavailable", written on one line).
check_if() {
    if grep -q "\"unavailable\": \[.*\"$2\"" "$1"; then
        echo "skip: $2 not available in this build"
        return 0
    fi
    check "$1" "$3" "$4"
}

# expect_rc CODE CMD...: exit status of a command.
expect_rc() {
    want=$1
    shift
    checks=$((checks + 1))
    "$@" >"$TMP/out" 2>"$TMP/err"
    got=$?
    [ "$got" -eq "$want" ] || { fail "exit $got, expected $want: $*"; cat "$TMP/err"; }
}

# grep_err PATTERN: standard error of the last expect_rc contains PATTERN.
grep_err() {
    checks=$((checks + 1))
    grep -q -- "$1" "$TMP/err" || { fail "stderr lacks '$1'"; cat "$TMP/err"; }
}

# ---- report on shop.csv: the whole period ------------------------------------
# Events (UTC days): "001" acquires Jan 1, "1" acquires Jan 1 (a different
# customer: ids are strings), "001" buys 100.00 x2 on Jan 2, "1" buys 50 on
# Jan 4 01:00+02:00 = Jan 3 23:00Z, c3 buys 20 on Jan 4 (first event, so
# acquired), "001" buys 30.5 on Jan 5, "1" returns 1 item on Jan 6, c4
# acquires on Jan 7 referred by "001", "1" churns on Jan 8.
# Default period: [Jan 1, Jan 9).
expect_rc 0 "$RT" report --format json "$DATA/shop.csv"
J=$TMP/all.json
cp "$TMP/out" "$J"
checks=$((checks + 1))
"$JG" "$J" --valid || fail "report output is not valid JSON"
check "$J" period.from 2026-01-01T00:00:00Z
check "$J" period.to 2026-01-09T00:00:00Z
check "$J" events 9
check "$J" customers 4
# S = 0, N = 4, R = 0, L = 1, E = 3.
check "$J" metrics.customers_start.value 0
check "$J" metrics.customers_end.value 3
check "$J" metrics.customers_new.value 4
check "$J" metrics.customers_reactivated.value 0
check "$J" metrics.customers_lost.value 1
# S = 0: rates over S are undefined (null, never 0).
check "$J" metrics.retention_rate.value null
check "$J" metrics.churn_rate.value null
check "$J" metrics.churn_rate_existing.value null
check "$J" metrics.retention_rate.lo absent
# L / (S + N) = 1 / 4.
check "$J" metrics.churn_rate_joined.value 25
check "$J" metrics.churn_rate_joined.numerator 1
check "$J" metrics.churn_rate_joined.denominator 4
check "$J" metrics.churn_rate_joined.n 4
# Purchases 100 + 50 + 20 + 30.5 = 200.5 over 4 orders by 3 buyers.
check "$J" metrics.purchases.value 4
check "$J" metrics.buyers.value 3
check "$J" metrics.revenue.value 200.5
check "$J" metrics.average_order_value.value 50.125
check "$J" metrics.purchase_frequency.value 1.333333333333333
# Repeat buyers: only "001" (2 orders) of 3 buyers.
check "$J" metrics.repeat_purchase_ratio.value 33.33333333333333
check "$J" metrics.repeat_purchase_ratio.numerator 1
check "$J" metrics.repeat_purchase_ratio.denominator 3
# Items sold 2 + 1 + 1 + 1 = 5, returned 1.
check "$J" metrics.product_return_rate.value 20
# Nobody has 3 purchases: 0 of E = 3.
check "$J" metrics.loyal_customer_rate.value 0
check "$J" metrics.customer_lifetime_value.value null
check "$J" metrics.referrals.value 1
check "$J" metrics.referral_rate.value 25
# Counts carry no bounds; proportions do, around the value.
check "$J" metrics.customers_new.lo absent
# Wilson 95 % for 1 of 4: centre (0.25 + z²/8) / (1 + z²/4) = 0.37247, half
# width z·sqrt(0.25·0.75/4 + z²/64) / (1 + z²/4) = 0.32689.
check "$J" metrics.referral_rate.lo 4.558~0.001
check "$J" metrics.referral_rate.hi 69.936~0.001
# Surveys: none in the log, so undefined once the module is there.
check_if "$J" nps metrics.nps.value null
check_if "$J" csat metrics.csat.value null
# Engagement: 4 customers had events in the period; no page views.
check_if "$J" active_customers metrics.active_customers.value 4
check_if "$J" page_views metrics.page_views.value 0
# Revenue: no subscriptions, MRR 0.
check_if "$J" mrr metrics.mrr.value 0
# Every metric the library lists appears once: available (per feature for
# feature metrics) or unavailable.
expect_rc 0 "$RT" report --format json --feature search "$DATA/shop.csv"
nmet=$("$RT" metrics | wc -l)
nav=$("$JG" "$TMP/out" metrics --count)
nfe=$("$JG" "$TMP/out" features.search --count)
nun=$("$JG" "$TMP/out" unavailable --count)
checks=$((checks + 1))
[ $((nav + nfe + nun)) -eq "$nmet" ] || fail "metrics $nav + feature $nfe + unavailable $nun != $nmet listed"
checks=$((checks + 1))
[ "$nmet" -gt 50 ] || fail "only $nmet metrics listed"

# ---- a sub-period: [Jan 2, Jan 9) ------------------------------------------------
# S = 2 ("001", "1"), N = 2 (c3, c4), L = 1 ("1"), E = 3.
expect_rc 0 "$RT" report --format json --from 2026-01-02 --to 2026-01-09T00:00:00Z "$DATA/shop.csv"
cp "$TMP/out" "$TMP/p2.json"
J=$TMP/p2.json
check "$J" period.from 2026-01-02T00:00:00Z
check "$J" metrics.customers_start.value 2
check "$J" metrics.customers_end.value 3
# (E - N) / S = (3 - 2) / 2; L / S = 1 / 2; "1" was in S: 1 / 2; L / (S + N) = 1 / 4.
check "$J" metrics.retention_rate.value 50
check "$J" metrics.churn_rate.value 50
check "$J" metrics.churn_rate_existing.value 50
check "$J" metrics.churn_rate_joined.value 25
# Wilson 95 % for 1 of 2: 9.453 .. 90.547.
check "$J" metrics.churn_rate.lo 9.453~0.001
check "$J" metrics.churn_rate.hi 90.547~0.001
# CLV = AOV * frequency / churn = (200.5 / 3) / 0.5.
check "$J" metrics.customer_lifetime_value.value 133.6666666666667

# ---- a sub-period: [Jan 4, Jan 8), checks the +02:00 offset ---------------------
# S = 2, N = 2 (c3 Jan 4, c4 Jan 7), L = 0 (the churn is at Jan 8 = to), E = 4.
# Orders: c3 20 (Jan 4), "001" 30.5 (Jan 5); "1"'s order is Jan 3 in UTC.
expect_rc 0 "$RT" report --format json --from 2026-01-04 --to 2026-01-08 "$DATA/shop.csv"
cp "$TMP/out" "$TMP/p3.json"
J=$TMP/p3.json
check "$J" metrics.retention_rate.value 100
check "$J" metrics.churn_rate.value 0
check "$J" metrics.customers_lost.value 0
check "$J" metrics.purchases.value 2
check "$J" metrics.revenue.value 50.5
check "$J" metrics.average_order_value.value 25.25
check "$J" metrics.repeat_purchase_ratio.value 0
# 2 items sold, 1 returned (Jan 6).
check "$J" metrics.product_return_rate.value 50
check "$J" metrics.referral_rate.value 50
check "$J" metrics.customer_lifetime_value.value null

# ---- saas.csv: subscriptions, engagement, journey and surveys ------------------------
# Period [Jan 1, Jan 31). a subscribes at 10 (Jan 1), b at 20 (Jan 1); a uses
# search twice (Jan 2), b export (Jan 3); c views 2 pages and shares (Jan 3);
# c and d visit, d converts (Jan 4); c and d create carts, d checks out
# (Jan 5); a's contact is resolved in 2 hours (Jan 6), b's abandoned (Jan 7);
# NPS a 10, b 9, c 7, d 3 (Jan 8); CSAT a 5, b 4, c 2 (Jan 9); CES a 2, b 5
# (Jan 10); a goes to 15 (Jan 15); b ends its plan (Jan 20).
expect_rc 0 "$RT" report --format json --from 2026-01-01 --to 2026-01-31 --feature search \
    --feature export "$DATA/saas.csv"
J=$TMP/saas.json
cp "$TMP/out" "$J"
# Start events are subscriptions above 0: a, b acquired; b lost when its MRR
# falls to 0 (a loss the revenue module reports, so checked with it).
# c and d have no start event: never acquired.
check "$J" metrics.customers_new.value 2
check_if "$J" mrr metrics.customers_lost.value 1
check_if "$J" mrr metrics.customers_end.value 1
check_if "$J" mrr metrics.churn_rate_joined.value 50
check "$J" metrics.purchases.value 0
check "$J" metrics.average_order_value.value null
# NPS: promoters a, b; detractor d: (2 - 1) / 4 * 100.
check_if "$J" nps metrics.nps.value 25
check_if "$J" nps metrics.nps.n 4
# CSAT: 2 of 3 answers at 4 or more; mean (5 + 4 + 2) / 3; CES (2 + 5) / 2.
check_if "$J" csat metrics.csat.value 66.66666666666667
check_if "$J" csat_mean metrics.csat_mean.value 3.666666666666667
check_if "$J" ces metrics.ces.value 3.5
# Any event makes a customer active: a, b, c, d.
check_if "$J" active_customers metrics.active_customers.value 4
# Windows ending at Jan 31: nobody on Jan 30 or in Jan 24..30; all 4 in
# Jan 1..30. Distinct (customer, day) pairs: Jan 1: 2, 2: 1, 3: 2, 4: 2,
# 5: 2, 6: 1, 7: 1, 8: 4, 9: 3, 10: 2, 15: 1, 20: 1 = 22; stickiness
# = 22 / 30 / 4 * 100.
check_if "$J" dau metrics.dau.value 0
check_if "$J" wau metrics.wau.value 0
check_if "$J" mau metrics.mau.value 4
check_if "$J" stickiness metrics.stickiness.value 18.33333333333333
# search: 1 user of 4 active, 2 uses; export: 1 use.
check_if "$J" feature_adoption_rate features.search.feature_adoption_rate.value 25
check_if "$J" feature_usage features.search.feature_usage.value 2
check_if "$J" feature_usage features.export.feature_usage.value 1
check_if "$J" page_views metrics.page_views.value 2
check_if "$J" shares metrics.shares.value 1
# 1 conversion / 2 visits; 1 of 2 carts not checked out; 1 of 2 contacts abandoned.
check_if "$J" conversion_rate metrics.conversion_rate.value 50
check_if "$J" cart_abandonment_rate metrics.cart_abandonment_rate.value 50
check_if "$J" call_abandonment_rate metrics.call_abandonment_rate.value 50
check_if "$J" time_to_resolution metrics.time_to_resolution.value 2
check_if "$J" time_to_resolution metrics.time_to_resolution.n 1
# First feature use after acquisition: a 1 day, b 2 days.
check_if "$J" time_to_value metrics.time_to_value.value 1.5
# No one was active in the previous 30 days: undefined.
check_if "$J" interaction_change metrics.interaction_change.value null
# MRR at Jan 31: a 15. New 10 + 20, expansion 5, churned 20 (b).
check_if "$J" mrr metrics.mrr.value 15
check_if "$J" mrr_new metrics.mrr_new.value 30
check_if "$J" mrr_expansion metrics.mrr_expansion.value 5
check_if "$J" mrr_contraction metrics.mrr_contraction.value 0
check_if "$J" mrr_churned metrics.mrr_churned.value 20
check_if "$J" mrr_reactivation metrics.mrr_reactivation.value 0
# MRR at Jan 1 00:00 is 0: revenue retention rates are undefined.
check_if "$J" revenue_churn_rate metrics.revenue_churn_rate.value null
check_if "$J" net_revenue_retention metrics.net_revenue_retention.value null
# (30 + 5 + 0) / (20 + 0); 15 MRR over 1 paying customer.
check_if "$J" quick_ratio metrics.quick_ratio.value 1.75
check_if "$J" arpa metrics.arpa.value 15
check_if "$J" lifecycle_new metrics.lifecycle_new.value 2

# ---- --inactivity-days 4 ------------------------------------------------------------
# Latest start events: "001" Jan 5 (lost Jan 9, outside), "1" Jan 3 (lost
# Jan 7; its churn on Jan 8 then changes nothing), c3 Jan 4 (lost Jan 8),
# c4 Jan 7 (lost Jan 11). In [Jan 1, Jan 9): L = 2, E = 2.
expect_rc 0 "$RT" report --format json --inactivity-days 4 "$DATA/shop.csv"
check "$TMP/out" metrics.customers_lost.value 2
check "$TMP/out" metrics.customers_end.value 2
check "$TMP/out" metrics.churn_rate_joined.value 50
expect_rc 2 "$RT" report --inactivity-days -1 "$DATA/shop.csv"

# ---- JSON Lines, gzip, standard input: the same events give the same report ---
expect_rc 0 "$RT" report --format json "$DATA/shop.jsonl"
checks=$((checks + 1))
cmp -s "$TMP/out" "$TMP/all.json" || { fail "shop.jsonl report differs from shop.csv"; diff "$TMP/out" "$TMP/all.json"; }
# CRLF line ends and a UTF-8 byte-order mark change nothing.
{ printf '\357\273\277'; awk '{ printf "%s\r\n", $0 }' "$DATA/shop.csv"; } >"$TMP/crlf.csv"
expect_rc 0 "$RT" report --format json "$TMP/crlf.csv"
checks=$((checks + 1))
cmp -s "$TMP/out" "$TMP/all.json" || fail "CRLF/BOM report differs"
expect_rc 0 sh -c "'$RT' report --format json - < '$DATA/shop.csv'"
checks=$((checks + 1))
cmp -s "$TMP/out" "$TMP/all.json" || fail "report from standard input differs"
if "$RT" --version | grep -q "gzip input" && ! "$RT" --version | grep -q "no gzip" && command -v gzip >/dev/null; then
    gzip -c "$DATA/shop.jsonl" >"$TMP/shop.jsonl.gz"
    expect_rc 0 "$RT" report --format json "$TMP/shop.jsonl.gz"
    checks=$((checks + 1))
    cmp -s "$TMP/out" "$TMP/all.json" || fail "report from .gz differs"
else
    echo "skip: gzip input not built"
fi

# ---- CSV and table formats ---------------------------------------------------------
expect_rc 0 "$RT" report --format csv "$DATA/shop.csv"
checks=$((checks + 1))
head -1 "$TMP/out" | grep -qx "metric,value,lo,hi,n" || fail "csv header"
checks=$((checks + 1))
grep -qx "customers_new,4,,,0" "$TMP/out" || fail "csv row customers_new"
checks=$((checks + 1))
grep -qx "retention_rate,,,,0" "$TMP/out" || fail "csv undefined retention_rate is empty"
expect_rc 0 "$RT" report "$DATA/shop.csv"
checks=$((checks + 1))
grep -q "^revenue  *200.50 " "$TMP/out" || { fail "table row revenue"; cat "$TMP/out"; }
checks=$((checks + 1))
grep -q "^retention_rate  *undefined" "$TMP/out" || fail "table shows undefined"

# ---- series ----------------------------------------------------------------------------
# Days Jan 1 .. Jan 8: new customers 2, 0, 0, 1, 0, 0, 1, 0.
expect_rc 0 "$RT" series --every day --format json customers_new purchases "$DATA/shop.csv"
cp "$TMP/out" "$TMP/s.json"
checks=$((checks + 1))
[ "$("$JG" "$TMP/s.json" series --count)" = 8 ] || fail "8 daily rows"
check "$TMP/s.json" series.0.from 2026-01-01T00:00:00Z
check "$TMP/s.json" series.0.metrics.customers_new.value 2
check "$TMP/s.json" series.3.metrics.customers_new.value 1
check "$TMP/s.json" series.6.metrics.customers_new.value 1
check "$TMP/s.json" series.1.metrics.purchases.value 1
check "$TMP/s.json" series.7.to 2026-01-09T00:00:00Z
# ISO weeks: Jan 1 2026 is a Thursday, so the first week is clipped to Jan 1..4.
expect_rc 0 "$RT" series --every week --format csv customers_new "$DATA/shop.csv"
checks=$((checks + 1))
[ "$(sed -n 2p "$TMP/out")" = "2026-01-01T00:00:00Z,2026-01-05T00:00:00Z,3" ] || { fail "weekly csv"; cat "$TMP/out"; }
expect_rc 2 "$RT" series --every fortnight customers_new "$DATA/shop.csv"
expect_rc 2 "$RT" series customers_new "$DATA/shop.csv"
expect_rc 2 "$RT" series --every week feature_usage "$DATA/shop.csv"

# ---- bad rows ----------------------------------------------------------------------------
# bad.csv: lines 3 (month 13), 4 (unknown type), 5 (NPS 11, refused by the
# library), 6 (value "abc") and 9 (empty customer) are bad; the row on
# lines 7-8 has a quoted ref spanning two lines and is good.
expect_rc 0 "$RT" report --format json "$DATA/bad.csv"
for l in 3 4 5 6 9; do grep_err "bad.csv:$l: "; done
grep_err "5 bad rows skipped"
checks=$((checks + 1))
[ "$(grep -c 'bad.csv:' "$TMP/err")" -eq 5 ] || fail "exactly 5 bad rows reported"
# Parse errors and the library's refusal come out together, in line order.
[ "$(grep -o 'bad.csv:[0-9]*' "$TMP/err" | cut -d: -f2 | tr '\n' ' ')" = "3 4 5 6 9 " ] ||
    fail "bad rows reported in line order"
cp "$TMP/out" "$TMP/bad.json"
# Good rows: a acquires Jan 1, buys 10 on Jan 3 and 12.5 x2 on Jan 5.
check "$TMP/bad.json" events 3
check "$TMP/bad.json" metrics.purchases.value 2
check "$TMP/bad.json" metrics.revenue.value 22.5
check "$TMP/bad.json" metrics.customers_new.value 1
expect_rc 3 "$RT" report --strict "$DATA/bad.csv"
grep_err "bad.csv:3: "
checks=$((checks + 1))
grep -q "bad.csv:4:" "$TMP/err" && fail "--strict goes past the first bad row"
expect_rc 0 "$RT" report --max-messages 2 "$DATA/bad.csv"
checks=$((checks + 1))
[ "$(grep -c 'bad.csv:' "$TMP/err")" -eq 2 ] || fail "--max-messages 2"
grep -q "bad.csv:3: " "$TMP/err" && grep -q "bad.csv:4: " "$TMP/err" ||
    fail "--max-messages 2 shows the first two bad rows"
grep_err "5 bad rows skipped"

# Clocks on the previous row's date take a shorter path: each bad one is
# still refused, and the extremes are taken (a leap second among them).
cat >"$TMP/clock.csv" <<'EOF'
time,type,customer
2026-01-01T00:00:00Z,activity,a
2026-01-01T24:00:00Z,activity,a
2026-01-01T1a:00:00Z,activity,a
2026-01-01T10:6/:00Z,activity,a
2026-01-01T10:60:00Z,activity,a
2026-01-01T10:00:61Z,activity,a
2026-01-01T10:00:0 Z,activity,a
2026-01-01T10:00:0?Z,activity,a
2026-01-01T23:59:60Z,activity,b
2026-01-01T09:09:09Z,activity,c
EOF
expect_rc 0 "$RT" report --format json "$TMP/clock.csv"
for l in 3 4 5 6 7 8 9; do grep_err "clock.csv:$l: bad time"; done
grep_err "7 bad rows skipped"
check "$TMP/out" events 3

# Customer ids of up to 16 bytes are kept in the chunk's rows, longer ones
# beside them: ids of 16 and 17 bytes that share their first 16, and a long
# one, each seen twice, are three customers (4 purchases by two of them).
cat >"$TMP/ids.csv" <<'EOF'
time,type,customer,value
2026-01-01T00:00:00Z,acquire,abcdefghijklmnop
2026-01-01T01:00:00Z,acquire,abcdefghijklmnopq
2026-01-01T02:00:00Z,acquire,customer-with-a-rather-long-identifier-0001
2026-01-02T00:00:00Z,purchase,abcdefghijklmnopq,5
2026-01-02T01:00:00Z,purchase,customer-with-a-rather-long-identifier-0001,7
2026-01-03T00:00:00Z,purchase,abcdefghijklmnopq,5
2026-01-03T01:00:00Z,purchase,customer-with-a-rather-long-identifier-0001,7
EOF
expect_rc 0 "$RT" report --format json "$TMP/ids.csv"
check "$TMP/out" customers 3
check "$TMP/out" metrics.purchases.value 4
check "$TMP/out" metrics.revenue.value 24
check "$TMP/out" metrics.buyers.value 2

# ---- exit codes --------------------------------------------------------------------------
expect_rc 2 "$RT"
expect_rc 2 "$RT" frobnicate
expect_rc 2 "$RT" report
expect_rc 2 "$RT" report --bogus "$DATA/shop.csv"
expect_rc 2 "$RT" report --format xml "$DATA/shop.csv"
expect_rc 2 "$RT" report --from 2026-02-30 "$DATA/shop.csv"
expect_rc 2 "$RT" report --from 2026-02-01 --to 2026-01-01 "$DATA/shop.csv"
expect_rc 4 "$RT" report "$TMP/does-not-exist.csv"
printf 'a,b,c\n1,2,3\n' >"$TMP/nohdr.csv"
expect_rc 3 "$RT" report "$TMP/nohdr.csv"
grep_err "no \"time\" column"
printf 'time,type,customer\n' >"$TMP/empty.csv"
expect_rc 3 "$RT" report "$TMP/empty.csv"
expect_rc 0 "$RT" report --from 2026-01-01 --to 2026-02-01 --format json "$TMP/empty.csv"
check "$TMP/out" metrics.customers_end.value 0
expect_rc 4 "$RT" report --load "$TMP/does-not-exist.state"

# ---- help --------------------------------------------------------------------------------
expect_rc 0 "$RT" --help
for o in --from --to --format --feature --every --save --load --inactivity-days --strict \
    --max-messages --quiet --stats --parse-only --customers --days --seed --start --output; do
    checks=$((checks + 1))
    grep -q -- "$o" "$TMP/out" || fail "--help does not document $o"
done
expect_rc 0 "$RT" report --help
expect_rc 0 "$RT" --version
expect_rc 0 "$RT" report --parse-only "$DATA/bad.csv"
# 8 rows (one spans two lines); without a context the NPS 11 is not checked.
grep_err "parsed 8 rows (4 bad)"

# ---- save / load: yesterday's state plus today's events = one run over all -------------
# Skipped only while the library's snapshot calls are the I/O-error stubs.
"$RT" report --quiet --save "$TMP/state" "$DATA/part1.csv" >/dev/null 2>"$TMP/err"
got=$?
if [ "$got" -eq 4 ] && grep -q "cannot save state.*input/output error" "$TMP/err" && [ ! -e "$TMP/state" ]; then
    echo "skip: snapshots are not available in this build of the library"
else
    checks=$((checks + 1))
    [ "$got" -eq 0 ] || { fail "--save exit $got"; cat "$TMP/err"; }
    expect_rc 0 "$RT" report --format json --load "$TMP/state" "$DATA/part2.csv"
    checks=$((checks + 1))
    cmp -s "$TMP/out" "$TMP/all.json" || { fail "save + load differs from one run"; diff "$TMP/out" "$TMP/all.json"; }
    expect_rc 0 "$RT" report --format json --load "$TMP/state" --save "$TMP/state2" "$DATA/part2.csv"
    expect_rc 0 "$RT" report --format json --load "$TMP/state2"
    checks=$((checks + 1))
    cmp -s "$TMP/out" "$TMP/all.json" || fail "a state saved after load differs"
    expect_rc 0 "$RT" series --every day --format json --load "$TMP/state" customers_new purchases "$DATA/part2.csv"
    checks=$((checks + 1))
    cmp -s "$TMP/out" "$TMP/s.json" || fail "series after load differs"
fi

# ---- sample: deterministic, and the bundled log never drifts ---------------------------
expect_rc 0 "$RT" sample --customers 50 --days 30 --seed 7 -o "$TMP/a.csv"
expect_rc 0 "$RT" sample --customers 50 --days 30 --seed 7
cp "$TMP/out" "$TMP/b.csv"
expect_rc 0 "$RT" sample --customers 50 --days 30 --seed 8 -o "$TMP/c.csv"
checks=$((checks + 3))
cmp -s "$TMP/a.csv" "$TMP/b.csv" || fail "same seed, different bytes"
cmp -s "$TMP/a.csv" "$TMP/c.csv" && fail "different seeds, same bytes"
[ "$(wc -l <"$TMP/a.csv")" -gt 100 ] || fail "sample too small"
# Every line of the sample parses, strictly.
expect_rc 0 "$RT" report --strict --format json "$TMP/a.csv"
check "$TMP/out" customers 50
for t in acquire purchase return subscription activity feature page_view share visit \
    cart_create cart_checkout contact_open contact_resolve nps csat; do
    checks=$((checks + 1))
    grep -q ",$t," "$TMP/a.csv" || grep -q ",$t," "$SRC/examples/data/sample.csv" || fail "sample has no $t"
done
# The fast reader (lines without quotes, found a block of bytes at a time)
# and the general one (any quoted field) read the same rows: every line of a
# 3 MB sample gets a quoted extra column, which sends it to the general
# reader, and the reports are the same. Rows cross the 1 MB read buffer's
# refills in both runs.
expect_rc 0 "$RT" sample --customers 1500 --days 365 --seed 11 -o "$TMP/big.csv"
awk 'NR == 1 { print $0 ",note"; next } { print $0 ",\"n\"" }' "$TMP/big.csv" >"$TMP/bigq.csv"
checks=$((checks + 2))
[ "$(wc -c <"$TMP/big.csv")" -gt 2200000 ] || fail "big sample too small to cross buffer refills"
expect_rc 0 "$RT" report --strict --format json "$TMP/big.csv"
cp "$TMP/out" "$TMP/big.json"
expect_rc 0 "$RT" report --strict --format json "$TMP/bigq.csv"
cmp -s "$TMP/out" "$TMP/big.json" || fail "quoted copy of the big sample reports differently"
# The usual row (canonical header, YYYY-MM-DDTHH:MM:SSZ on the date of the
# row before, no quote, nothing to trim, short) is read at once, many rows
# at a time; every other row must come out as the general reader makes it.
# The same rows with the first two columns swapped (a header that is not
# canonical, so no row is read at once) give the same report and the same
# messages: blanks to trim, a CR line end on a feature's name, a new date,
# an extra column, a quote, long rows (one with a quote past its first 32
# bytes), bad fields, other time forms, a time not followed by its comma,
# a blank line and a last line without its newline.
printf '%s\n' 'time,type,customer,value,quantity,ref' \
    '2026-01-01T00:00:00Z,acquire,a,,,' \
    '2026-01-01T01:00:00Z,feature,a,,,search' \
    '2026-01-01T02:00:00Z,feature,b,,,search' \
    '2026-01-01T03:00:00Z, page_view,a,,,' \
    '2026-01-01T04:00:00Z,purchase,a,12.5 ,2,o1' \
    '2026-01-01T05:00:00Z,purchase,a,7, 3,o2' \
    '2026-01-01T06:00:00Z ,activity,e,,,' \
    '2026-01-02T00:00:00Z,activity,b,,,' \
    '2026-01-02T01:00:00Z,feature,b,,,search,x' \
    '2026-01-02T02:00:00Z,feature,b,,,"export"' \
    '2026-01-02T03:00:00Z,feature,customer-with-a-rather-long-identifier-0001,,,export' \
    '2026-01-02T03:30:00Z,feature,customer-with-a-rather-long-identifier-0002,,,"export"' \
    '2026-01-02T04:00:00Z,purchase,b,abc,,' \
    '2026-01-02T05:00:00Z,purchase,b,5,x,' \
    '2026-01-02T06:00:00Z,purchase,,5,,' \
    '2026-01-02T07:00:00Z,pageview,b,,,' \
    '2026-01-02T08:00:00Z,,b,,,' \
    '1767402000000,activity,c,,,' \
    '2026-01-02T10:00:00+01:00,purchase,c,3,,' \
    '2026-01-02T24:00:00Z,activity,c,,,' \
    '2026-01-02T10000000Z,activity,c,,,' \
    '2026-01-02T10:30:00Z activity,c,,,' \
    '2026-01-02T11:00:00Z,nps,c,11,,' \
    '2026-01-02T12:00:00Z,subscription,c,9.99,,s1' \
    '2026-01-02T13:00:00Z,cart_create,c,,,k1' \
    '' \
    '2026-01-02T14:00:00Z,cart_checkout,c,,,k1' >"$TMP/usual.csv"
printf '2026-01-02T15:00:00Z,feature,d,,,search\r\n2026-01-02T16:00:00Z,activity,d,,,' >>"$TMP/usual.csv"
awk -F, -v OFS=, '{ if (NF > 1) { t = $1; $1 = $2; $2 = t } print }' "$TMP/usual.csv" >"$TMP/swapped.csv"
expect_rc 0 "$RT" report --format json --feature search --feature export "$TMP/usual.csv"
cp "$TMP/out" "$TMP/usual.json"
# (The summary's rows per second differ from run to run: left out.)
sed '/ rows read, /d; s/usual\.csv/LOG/' "$TMP/err" >"$TMP/usual.err"
expect_rc 0 "$RT" report --format json --feature search --feature export "$TMP/swapped.csv"
checks=$((checks + 2))
cmp -s "$TMP/out" "$TMP/usual.json" || fail "rows read at once report differently from the general reader's"
sed '/ rows read, /d; s/swapped\.csv/LOG/' "$TMP/err" | cmp -s - "$TMP/usual.err" ||
    { fail "rows read at once give other messages"; diff "$TMP/usual.err" "$TMP/err"; }
# Bad: abc, x, no customer, pageview, no type, hour 24, a clock without
# colons, a time without its comma and NPS 11.
grep_err "9 bad rows skipped"
check "$TMP/usual.json" events 19
check "$TMP/usual.json" customers 7
# search used by a and b (Jan 1), b (Jan 2: the extra column is not in the
# name) and d (Jan 2: nor is the CR).
check "$TMP/usual.json" features.search.feature_usage.value 4
# export by b and by the second long id (quoted, the quotes not in the
# name) and by the first long id.
check "$TMP/usual.json" features.export.feature_usage.value 3
# One row at a time (--strict), up to the first bad one: the same again.
expect_rc 3 "$RT" report --strict "$TMP/usual.csv"
sed 's/usual\.csv/LOG/' "$TMP/err" >"$TMP/usual.err"
grep_err "usual.csv:14: bad value \"abc\""
expect_rc 3 "$RT" report --strict "$TMP/swapped.csv"
checks=$((checks + 1))
sed 's/swapped\.csv/LOG/' "$TMP/err" | cmp -s - "$TMP/usual.err" || fail "--strict: rows read at once stop differently"
# A time in the minute of the last usual time read has only its seconds
# read (the minute's start is remembered); anything else about it is read
# the full way. The contact opens and is resolved each a row after another
# of its minute: 10:05:30 to 10:47:10 is 2,500 s, 0.6944 hours. Seconds
# 61 or "0:", a dot for the colon, and a time whose Z is missing, in a
# remembered minute: bad rows.
printf '%s\n' 'time,type,customer,value,quantity,ref' \
    '2026-03-01T10:05:10Z,activity,m,,,' \
    '2026-03-01T10:05:30Z,contact_open,m,,,t1' \
    '2026-03-01T10:05:61Z,activity,m,,,' \
    '2026-03-01T10:05:50X,activity,m,,,' \
    '2026-03-01T10:05.20Z,activity,m,,,' \
    '2026-03-01T10:05:0:Z,activity,m,,,' \
    '2026-03-01T10:47:05Z,activity,m,,,' \
    '2026-03-01T10:47:10Z,contact_resolve,m,,,t1' >"$TMP/minute.csv"
expect_rc 0 "$RT" report --format json "$TMP/minute.csv"
check_if "$TMP/out" time_to_resolution metrics.time_to_resolution.value 0.694444444444444
check "$TMP/out" events 4
grep_err "minute.csv:4: bad time \"2026-03-01T10:05:61Z\""
grep_err "minute.csv:5: bad time \"2026-03-01T10:05:50X\""
grep_err "minute.csv:6: bad time \"2026-03-01T10:05.20Z\""
grep_err "minute.csv:7: bad time \"2026-03-01T10:05:0:Z\""
grep_err "4 bad rows skipped"
# Without --strict the rows go in chunks, sorted by customer (parts of the
# sort both above and below its insertion threshold): same report as the
# strict run's pushes in file order.
checks=$((checks + 1))
expect_rc 0 "$RT" report --format json "$TMP/big.csv"
cmp -s "$TMP/out" "$TMP/big.json" || fail "chunked pushes of the big sample report differently from file order"
# A customer with 600 rows in the chunk: a part too large for insertion.
awk 'NR > 1 && NR <= 601 { split($0, f, ","); print f[1] ",activity,heavy,,," } { print }' "$TMP/big.csv" >"$TMP/heavy.csv"
checks=$((checks + 1))
expect_rc 0 "$RT" report --strict --format json "$TMP/heavy.csv"
cp "$TMP/out" "$TMP/heavy.json"
expect_rc 0 "$RT" report --format json "$TMP/heavy.csv"
cmp -s "$TMP/out" "$TMP/heavy.json" || fail "chunked pushes with a 600-row customer report differently from file order"
check "$TMP/heavy.json" events "$(($(wc -l <"$TMP/big.csv") + 599))"
# Each file ends a chunk. A chunk of fewer rows than the sort's parts is
# sorted whole (16 rows by insertion, 3000 by qsort); the counts it leaves
# must not spoil the large chunk after it.
head -n 17 "$TMP/big.csv" >"$TMP/part1.csv"
{ head -n 1 "$TMP/big.csv"; sed -n '18,3017p' "$TMP/big.csv"; } >"$TMP/part2.csv"
{ head -n 1 "$TMP/big.csv"; tail -n +3018 "$TMP/big.csv"; } >"$TMP/part3.csv"
checks=$((checks + 1))
expect_rc 0 "$RT" report --format json "$TMP/part1.csv" "$TMP/part2.csv" "$TMP/part3.csv"
cmp -s "$TMP/out" "$TMP/big.json" || fail "chunks of 16, 3000 and the remaining rows report differently from file order"
check "$TMP/out" events "$(($(wc -l <"$TMP/big.csv") - 1))"
expect_rc 0 "$RT" sample --customers 300 --days 180 --seed 42 -o "$TMP/bundled.csv"
checks=$((checks + 1))
cmp -s "$TMP/bundled.csv" "$SRC/examples/data/sample.csv" ||
    fail "examples/data/sample.csv differs from 'retention sample --customers 300 --days 180 --seed 42'"
expect_rc 2 "$RT" sample --customers 0
expect_rc 2 "$RT" sample --seed -1

echo "$checks checks, $fails failures"
[ "$fails" -eq 0 ]
