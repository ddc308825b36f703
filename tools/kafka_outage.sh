#!/usr/bin/env bash
# tools/kafka_outage.sh: the manual run of docs/operations.md "When Kafka is
# down". Starts `tally broker` and `tally serve --kafka` (in a scratch
# directory), runs one producer sending one transfer per request
# ("wait":true, "timeout_ms":TIMEOUT_MS) and a /health monitor, pauses the
# broker with SIGSTOP for PAUSE seconds, resumes it with SIGCONT, lets it run
# RECOVER more seconds, sends every command answered 503/504 again with the
# same id, stops serve and runs `tally reconcile --kafka`. Prints a summary;
# the raw data stays in the scratch directory (requests.txt: start, seconds,
# HTTP status, id, Retry-After; health.txt; serve.log).
#
#   PAUSE=60 RECOVER=40 TIMEOUT_MS=3000 tools/kafka_outage.sh [build/tools/tally/tally]
set -euo pipefail
set -m  # the broker in its own process group: a stopped job is not sent SIGHUP

tally=${1:-build/tools/tally/tally}
pause=${PAUSE:-60}
recover=${RECOVER:-40}
timeout_ms=${TIMEOUT_MS:-3000}
port=${PORT:-18080}
dir=$(mktemp -d /tmp/tally-kafka-outage.XXXXXX)
h=http://127.0.0.1:$port
json=(-H "Content-Type: application/json")

coproc broker { exec "$tally" broker --partitions 8; }
broker_pid=$broker_PID
read -r addr <&"${broker[0]}"
"$tally" serve --data "$dir/data" --kafka "$addr" --http "127.0.0.1:$port" 2>"$dir/serve.log" >"$dir/serve.out" &
serve_pid=$!
trap 'kill -CONT $broker_pid 2>/dev/null; kill $serve_pid $broker_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "$h/health" >/dev/null && break; sleep 0.2; done

transfer() {  # id -> the body of one transfer
  echo "{\"commands\":[{\"type\":\"create_transfer\",\"id\":\"$1\",\"debit_account_id\":\"1001\",\"credit_account_id\":\"1002\",\"amount\":\"1\",\"ledger\":1,\"code\":1}],\"wait\":true,\"timeout_ms\":$timeout_ms}"
}
curl -s "${json[@]}" -XPOST "$h/v1/commands" -d '{"commands":[{"type":"create_account","id":"1001","ledger":1,"code":10},{"type":"create_account","id":"1002","ledger":1,"code":10}],"wait":true}' >/dev/null

t0=$(date +%s.%N)
since() { echo "$(date +%s.%N) - $t0" | bc; }
(
  set +e +o pipefail  # a failed request is data, not the end of the loop
  i=0
  while [ ! -f "$dir/stop" ]; do
    i=$((i + 1)); id=$((500000 + i)); s=$(since)
    out=$(curl -s "${json[@]}" -o /dev/null -D - -w '%{time_total}' -XPOST "$h/v1/commands" -d "$(transfer $id)")
    code=$(echo "$out" | head -1 | awk '{print $2}')
    ra=$(echo "$out" | tr -d '\r' | awk -F': ' 'tolower($1)=="retry-after"{print $2}')
    echo "$s $(echo "$out" | tail -1) $code $id ${ra:--}" >>"$dir/requests.txt"
  done
) &
(
  set +e +o pipefail
  while [ ! -f "$dir/stop" ]; do
    s=$(since)
    status=$(curl -s "$h/health" | grep -o '"status":"[a-z]*"' | head -1 | cut -d'"' -f4)
    breaker=$(curl -s "$h/metrics" | awk '/^tally_breaker_state /{print $2}')
    echo "$s $status breaker=$breaker" >>"$dir/health.txt"
    sleep 0.5
  done
) &

sleep 3
echo "SIGSTOP at $(since) s"; kill -STOP "$broker_pid"
sleep "$pause"
echo "SIGCONT at $(since) s"; kill -CONT "$broker_pid"
sleep "$recover"
touch "$dir/stop"; sleep 4

set +o pipefail
awk '$3 != 200 {print $4}' "$dir/requests.txt" | while read -r id; do
  curl -s "${json[@]}" -XPOST "$h/v1/commands" -d "$(transfer "$id")" | grep -o '"outcome":"[a-z_]*"' | cut -d'"' -f4
done | sort | uniq -c >"$dir/resend.txt"
debits=$(curl -s "$h/v1/accounts/1001" | grep -o '"debits_posted":"[0-9]*"' | cut -d'"' -f4)
kill -TERM "$serve_pid"; wait "$serve_pid" || true
reconciled=$("$tally" reconcile --data "$dir/data" --kafka "$addr" 2>&1 | tail -1 || true)

echo "requests by status: $(awk '{print $3}' "$dir/requests.txt" | sort | uniq -c | tr -s ' ' | tr '\n' ' ')"
echo "slowest non-200 answer: $(awk '$3 != 200 {print $2}' "$dir/requests.txt" | sort -n | tail -1) s"
echo "re-sent: $(tr -s ' ' <"$dir/resend.txt" | tr '\n' ' ')"
echo "ids: $(wc -l <"$dir/requests.txt"), debits_posted: $debits"
echo "reconcile: $reconciled"
echo "breaker lines:"; grep '\[breaker\]' "$dir/serve.log" | cut -c1-160
echo "data in $dir"
