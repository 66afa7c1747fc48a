#!/usr/bin/env bash
# demo.sh: the seed's system on this machine, and a failover to watch. Run by `./dev demo`
# after the release build; leaves the cluster running and prints how to use and stop it.
#
#   PGHALO_DEMO_AGENT=pghalo|patroni   the agent (default pghalo; patroni runs the same demo
#                                      with Patroni 3.0.2, e.g. before pghalo is built)
#   PGHALO_DEMO_BASE_PORT=N            the lab's base port (default 18000, see docs/lab.md)
#   PGHALO_DEMO_PROFILE=NAME           DCS timing (default: pghalo for pghalo, fast for patroni)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

agent=${PGHALO_DEMO_AGENT:-pghalo}
base=${PGHALO_DEMO_BASE_PORT:-18000}
case "$agent" in
  pghalo) profile=${PGHALO_DEMO_PROFILE:-pghalo} ;;
  patroni) profile=${PGHALO_DEMO_PROFILE:-fast} ;;
  *) echo "demo: PGHALO_DEMO_AGENT must be pghalo or patroni" >&2; exit 2 ;;
esac
dir=/tmp/pghalo-lab-$base

lab() { python3 "$root/lab/pglab.py" "$@" --base-port "$base"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

pghaloctl=""
for d in build/release build/dev; do
  if [ -x "$d/src/app/pghaloctl" ]; then pghaloctl="$root/$d/src/app/pghaloctl"; break; fi
done

# The cluster table: pghaloctl when there is one, else the REST API's /cluster through jq.
show_cluster() {
  if [ "$agent" = pghalo ] && [ -n "$pghaloctl" ]; then
    "$pghaloctl" -c "$dir/node1/postgresql.yml" list && return
  fi
  local port
  for port in $((base + 41)) $((base + 42)) $((base + 43)); do
    if curl -sf --max-time 2 "http://127.0.0.1:$port/cluster" -o "$dir/cluster.json"; then
      jq -r '["member", "role", "state", "host:port", "TL", "lag"],
             (.members[] | [.name, .role, .state, "\(.host):\(.port)", (.timeline // "-"),
                            (.lag // "-")]) | @tsv' "$dir/cluster.json" | column -t -s $'\t'
      return
    fi
  done
  echo "(no REST API answered)"
}

if [ "$agent" = pghalo ] && [ ! -x build/release/src/app/pghalo ] && [ ! -x build/dev/src/app/pghalo ]; then
  echo "demo: no pghalo binary in build/release or build/dev; build it (./dev build release)," >&2
  echo "      or run the same demo with Patroni: PGHALO_DEMO_AGENT=patroni ./dev demo" >&2
  exit 1
fi

step "1. Bring up 3 etcd members (TLS, client certificates), 3 PostgreSQL 15 nodes under $agent, HAProxy"
lab up --agent "$agent" --profile "$profile" --tls

step "2. The cluster"
show_cluster
leader=$(lab leader)
replica=$(lab status --json | jq -r --arg l "$leader" \
  '[.nodes[] | select(.name != $l and .role == "replica")][0].name')

step "3. Write a row on the primary ($leader), read it back on a replica ($replica)"
stamp="written on $leader at $(date -u +%H:%M:%S)"
lab psql "$leader" -c "CREATE TABLE IF NOT EXISTS failover_test (id SERIAL PRIMARY KEY, data TEXT);
  INSERT INTO failover_test (data) VALUES ('$stamp') RETURNING *;"
found=""
for _ in $(seq 1 50); do  # up to 5 s for replication
  found=$(lab psql "$replica" -c "SELECT count(*) FROM failover_test WHERE data = '$stamp'" \
    2>/dev/null | sed -n 3p | tr -d ' ')
  [ "$found" = 1 ] && break
  sleep 0.1
done
lab psql "$replica" -c "SELECT id, data, pg_is_in_recovery() AS on_replica FROM failover_test
  WHERE data = '$stamp'"
[ "$found" = 1 ] || { echo "demo: the row did not reach $replica" >&2; exit 1; }

step "4. Kill the primary ($leader): SIGKILL its agent and PostgreSQL, with writes to every node every 20 ms"
(cd tests/integration && python3 -m harness.failover --dir "$dir")

step "5. The cluster after the failover and the old primary's rejoin"
show_cluster

ctl_line="patronictl -c $dir/patronictl.yml list"
[ -n "$pghaloctl" ] && ctl_line="$pghaloctl -c $dir/node1/postgresql.yml list"
step "6. The cluster keeps running. Try:"
cat <<EOF
  psql 'postgresql://lab:lab@127.0.0.1:$((base + 51))/postgres'   # the primary, through HAProxy
  psql 'postgresql://lab:lab@127.0.0.1:$((base + 52))/postgres'   # a replica, through HAProxy
  psql 'postgresql://lab:lab@127.0.0.1:$((base + 31))/postgres'   # node 1 directly
  curl -s http://127.0.0.1:$((base + 41))/cluster | jq .
  curl -s http://127.0.0.1:$((base + 41))/patroni | jq .role
  $ctl_line
  ./dev lab status --base-port $base
  ./dev lab kill 2 --with-postgres --base-port $base      # crash another node
  HAProxy stats: http://127.0.0.1:$((base + 53))/

Tear it down: ./dev lab down --base-port $base
EOF
