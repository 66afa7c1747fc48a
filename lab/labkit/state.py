"""The lab's state file: the spec and every process the launcher started, by pid.

It is rewritten atomically (temporary file + rename) after every change, so that `down` works
even when the launcher that started the lab crashed halfway through `up`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .layout import STATE_FILE, LabError, LabSpec


class State:
    """The spec plus the process records (see procs.ProcRecord) keyed by role name.

    Role names: "etcd1".."etcd3", "agent1".."agentN", "haproxy".
    """

    def __init__(self, spec: LabSpec, procs: dict | None = None):
        self.spec = spec
        self.procs: dict[str, dict] = procs or {}

    @classmethod
    def load(cls, lab_dir: str | os.PathLike) -> "State":
        path = Path(lab_dir) / STATE_FILE
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise LabError(f"no lab state in {lab_dir} ({STATE_FILE} missing): is a lab up there?")
        except (OSError, ValueError) as e:
            raise LabError(f"cannot read {path}: {e}")
        return cls(LabSpec.from_json(data["spec"]), data.get("procs", {}))

    def save(self) -> None:
        path = self.spec.state_path
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps({"spec": self.spec.to_json(), "procs": self.procs}, indent=2))
        os.replace(tmp, path)

    def record(self, role: str, rec: dict) -> None:
        self.procs[role] = rec
        self.save()
