"""Where the plan library is when the operator names none: the folder `mantis` runs in, if it has
`plans/`; else the example plans and task suites shipped in the package, so that `plans/example/...` and
`tasks/crm/...` resolve from any folder."""

from __future__ import annotations

import os
from pathlib import Path

# Filled by the wheel's build (setup.py copies the repository's plans/ and tasks/ here).
PACKAGED = Path(__file__).resolve().parent.parent / "library"
# A source checkout (an editable install) has no copy: its own plans/ and tasks/ are the library.
CHECKOUT = Path(__file__).resolve().parents[3]


def packaged_library() -> Path:
    return PACKAGED if (PACKAGED / "plans").is_dir() else CHECKOUT


def default_plans_dir() -> Path:
    """MANTIS_PLANS_DIR when set; else ./ when it has plans/; else the packaged library."""
    if named := os.environ.get("MANTIS_PLANS_DIR"):
        return Path(named).resolve()
    here = Path.cwd()
    return here.resolve() if (here / "plans").is_dir() else packaged_library()
