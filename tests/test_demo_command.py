"""`mantis demo`, the README's main job, as a user runs it: the rows, and recordings that are whole videos.

The recordings are made after the run ends; the command keeps its server up until they are written, so
what it lists is what a user can play."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

DEMO_TIMEOUT_S = 400  # a 28-step run and its recordings on a loaded 2-core machine


def test_mantis_demo_prints_its_rows_and_leaves_playable_recordings(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANTIS_")}
    env.update(MANTIS_HOME=str(tmp_path / "home"), MANTIS_PLANS_DIR=str(REPO))  # no private browsing switch
    done = subprocess.run(
        [sys.executable, "-m", "mantis.cli.main", "demo"],
        env=env, capture_output=True, text=True, timeout=DEMO_TIMEOUT_S,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Succeeded: 5 rows extracted, 5 viable" in done.stdout
    listed = re.search(r"artifacts: (\S+)\s+\((.*?)\)", done.stdout, re.S)
    assert listed is not None, done.stdout[-2000:]
    assert {"recording.mp4", "recording_raw.mp4"} <= {n.strip() for n in listed.group(2).split(",")}
    for name in ("recording.mp4", "recording_raw.mp4"):
        probe = subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json",
             str(Path(listed.group(1)) / name)],
            capture_output=True, text=True, check=True,
        )
        assert float(json.loads(probe.stdout)["format"]["duration"]) > 1.0, (name, probe.stdout)
