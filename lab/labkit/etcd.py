"""etcd members as the seed runs them, and etcdctl calls with the agents' client certificate.

Each member: https client and peer URLs, --client-cert-auth and --peer-client-cert-auth against
the lab CA, its own member certificate (SAN 127.0.0.1), --initial-cluster-token, and
--initial-cluster-state new (first start) or existing (rejoining with its old data dir).

Additions to the seed's flags:
  --auto-compaction-mode=periodic --auto-compaction-retention=5m: the agents rewrite member keys
    every loop_wait (each write a new revision); periodic compaction keeps a long benchmark's
    history bounded while leaving minutes of history for any watcher that reconnects;
  --logger=zap: etcd 3.4's default logger is deprecated and warns at every start.
"""

from __future__ import annotations

import json
import subprocess

from .layout import CLIENT_CERT, LabError, LabSpec

ETCD = "/usr/bin/etcd"
ETCDCTL = "/usr/bin/etcdctl"


def member_argv(spec: LabSpec, i: int, state: str) -> list[str]:
    scheme = "https" if spec.tls else "http"
    client = f"{scheme}://{spec.etcd_host(i)}:{spec.etcd_client_port(i)}"
    peer = f"{scheme}://{spec.etcd_host(i)}:{spec.etcd_peer_port(i)}"
    cluster = ",".join(f"etcd{j}={scheme}://{spec.etcd_host(j)}:{spec.etcd_peer_port(j)}"
                       for j in spec.etcd_numbers())
    argv = [
        ETCD,
        f"--name=etcd{i}",
        f"--data-dir={spec.etcd_data_dir(i)}",
        f"--listen-client-urls={client}",
        f"--advertise-client-urls={client}",
        f"--listen-peer-urls={peer}",
        f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster={cluster}",
        # One token per lab: members of two labs can never join each other by mistake.
        f"--initial-cluster-token=pghalo-lab-{spec.base_port}",
        f"--initial-cluster-state={state}",
        "--auto-compaction-mode=periodic",
        "--auto-compaction-retention=5m",
        "--logger=zap",
        "--log-outputs=stderr",
    ]
    if spec.tls:
        ca = spec.tls_file("ca.crt")
        cert, key = spec.tls_file(f"etcd{i}.crt"), spec.tls_file(f"etcd{i}.key")
        argv += [
            "--client-cert-auth", f"--trusted-ca-file={ca}",
            f"--cert-file={cert}", f"--key-file={key}",
            "--peer-client-cert-auth", f"--peer-trusted-ca-file={ca}",
            f"--peer-cert-file={cert}", f"--peer-key-file={key}",
        ]
    return argv


def etcdctl(spec: LabSpec, args: list[str], endpoints: list[str] | None = None,
            timeout: float = 5.0) -> subprocess.CompletedProcess:
    """Runs etcdctl (v3 API) with the client certificate; never raises on a non-zero exit."""
    argv = [ETCDCTL, f"--endpoints={','.join(endpoints or spec.etcd_endpoints())}",
            "--dial-timeout=1s", f"--command-timeout={max(1, int(timeout) - 1)}s"]
    if spec.tls:
        argv += [f"--cacert={spec.tls_file('ca.crt')}",
                 f"--cert={spec.tls_file(CLIENT_CERT + '.crt')}",
                 f"--key={spec.tls_file(CLIENT_CERT + '.key')}"]
    try:
        return subprocess.run(argv + args, env={"ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"},
                              capture_output=True, text=True, timeout=timeout + 2)
    except subprocess.TimeoutExpired as e:
        return subprocess.CompletedProcess(argv, 124, "", f"etcdctl timed out: {e}")


def healthy_endpoints(spec: LabSpec, members=None) -> dict[int, bool]:
    """Member number -> healthy, from `etcdctl endpoint health` (one call for all members)."""
    members = list(members or spec.etcd_numbers())
    endpoints = [spec.etcd_endpoints()[i - 1] for i in members]
    result = etcdctl(spec, ["endpoint", "health", "-w", "json"], endpoints)
    health = {i: False for i in members}
    try:
        reports = json.loads(result.stdout or "[]")
    except ValueError:
        return health
    for report in reports:
        if report.get("health") and report.get("endpoint") in endpoints:
            health[members[endpoints.index(report["endpoint"])]] = True
    return health


def get_value(spec: LabSpec, key: str) -> str | None:
    """The value of `key`, None when absent; LabError when etcd cannot answer."""
    result = etcdctl(spec, ["get", key, "--print-value-only"])
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise LabError(f"etcd get {key} failed: {last}")
    value = result.stdout.rstrip("\n")
    return value or None
