#!/usr/bin/env bash
# Installs the Debian 12 packages pghalo needs to build, test, run the lab and the benchmarks.
# Idempotent: packages already present are skipped. Works as root or through sudo.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config git
  libcurl4-openssl-dev libpq-dev libssl-dev libyaml-cpp-dev nlohmann-json3-dev libcli11-dev
  libgtest-dev libgmock-dev
  # servers and tools the lab, the tests and the demo drive for real
  postgresql-15 postgresql-client-15 postgresql-contrib etcd-server etcd-client haproxy
  openssl curl jq iproute2 iptables procps psmisc util-linux
  # Patroni 3.0.2: the compatibility oracle and the benchmark baseline
  patroni python3-psycopg2 python3-etcd
  # benchmarks
  wrk
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"

# Debian starts the packaged services on install; pghalo's lab runs its own instances, so the
# distribution's default etcd, PostgreSQL cluster, HAProxy and Patroni must not hold the ports.
for svc in etcd patroni haproxy postgresql; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    "${sudo[@]}" systemctl stop "$svc" || true
    "${sudo[@]}" systemctl disable "$svc" >/dev/null 2>&1 || true
  fi
done
echo "install-deps: done"
