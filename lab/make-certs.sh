#!/usr/bin/env bash
# make-certs.sh: the TLS material the seed's etcd cluster runs with, for the lab and the tests.
#
#   lab/make-certs.sh OUTDIR [--days N] [--client NAME]... [--server NAME=IP[,IP|DNS:name...]]...
#
# Writes into OUTDIR:
#   ca.crt, ca.key                 the cluster CA ("/CN=etcd-ca", like the seed)
#   <server>.crt, <server>.key     one per --server, serverAuth+clientAuth (etcd peers use it as
#                                  both), subjectAltName = the given IPs (IP:...) and DNS names
#   <client>.crt, <client>.key     one per --client, clientAuth (the agents' etcd client cert)
# Keys are 0600. Existing files are kept (idempotent), so a re-run adds what is missing.
# Defaults: --server etcd1=127.0.0.1 --server etcd2=127.0.0.1 --server etcd3=127.0.0.1
#           --client etcd-client, 3650 days (as the seed).
set -euo pipefail

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }

[ $# -ge 1 ] || { usage >&2; exit 2; }
out=$1; shift
days=3650
servers=()
clients=()
while [ $# -gt 0 ]; do
  case "$1" in
    --days) days=$2; shift 2 ;;
    --server) servers+=("$2"); shift 2 ;;
    --client) clients+=("$2"); shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "make-certs.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
[ ${#servers[@]} -gt 0 ] || servers=(etcd1=127.0.0.1 etcd2=127.0.0.1 etcd3=127.0.0.1)
[ ${#clients[@]} -gt 0 ] || clients=(etcd-client)

mkdir -p "$out"
umask 077
cd "$out"

if [ ! -f ca.crt ]; then
  openssl genrsa -out ca.key 2048 2>/dev/null
  openssl req -new -x509 -days "$days" -key ca.key -out ca.crt -subj "/CN=etcd-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
fi

sign() {  # sign NAME EXTFILE_CONTENT
  local name=$1 ext=$2
  [ -f "$name.crt" ] && return 0
  openssl genrsa -out "$name.key" 2048 2>/dev/null
  openssl req -new -key "$name.key" -out "$name.csr" -subj "/CN=$name"
  printf '%s\n' "$ext" > "$name.ext"
  openssl x509 -req -days "$days" -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
    -out "$name.crt" -extfile "$name.ext" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}

for spec in "${servers[@]}"; do
  name=${spec%%=*}
  addrs=${spec#*=}
  san=""
  IFS=',' read -ra parts <<< "$addrs"
  for a in "${parts[@]}"; do
    case "$a" in
      DNS:*) san+="${san:+,}$a" ;;
      *) san+="${san:+,}IP:$a" ;;
    esac
  done
  sign "$name" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=$san"
done

for name in "${clients[@]}"; do
  sign "$name" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
done

chmod 600 ./*.key
chmod 644 ./*.crt
rm -f ca.srl
