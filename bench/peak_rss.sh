#!/usr/bin/env bash
# Run a command and report the peak of the summed resident memory of it and all its
# descendants (worker processes included), sampled every 0.2 s.
set -u
"$@" &
root=$!
peak=0
while kill -0 "$root" 2>/dev/null; do
  pids=$(ps -o pid= --ppid "$root"; echo "$root"; for p in $(ps -o pid= --ppid "$root"); do ps -o pid= --ppid "$p"; done)
  total=$(ps -o rss= -p "$(echo $pids | tr ' ' ',')" 2>/dev/null | awk '{s+=$1} END {print s+0}')
  [ "$total" -gt "$peak" ] && peak=$total
  sleep 0.2
done
wait "$root"
status=$?
echo "peak resident memory, all processes: $((peak / 1024)) MB" >&2
exit $status
