"""The long-lived parts of a server process, built once from settings and shared by routes and workers."""

from __future__ import annotations

from mantis.artifacts import ArtifactStore, artifact_store
from mantis.config import Settings
from mantis.planes.base import Plane
from mantis.planes.computer import ComputerPlane
from mantis.planes.dom import DomPlane
from mantis.planes.ledger import Ledger
from mantis.profiles import Profiles
from mantis.replay.store import ReplayStore
from mantis.secretbox import SecretBox
from mantis.store.checkpoints import CheckpointStore
from mantis.store.db import make_engine, migrate, session_factory
from mantis.store.runs import RunStore
from mantis.store.tenants import TenantStore
from mantis.viewer.hub import ViewerHub
from mantis.viewer.signing import Signer
from mantis.workers.base import Executor
from mantis.workers.liveness import process_id
from mantis.workspace import open_workspace


class PlaneUnavailable(Exception):
    pass


class Services:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        open_workspace(settings.home, settings.runs_dir, settings.database_url)
        self.secrets = SecretBox.for_server(settings.home, settings.secret_keys)
        self.engine = make_engine(settings.database_url)
        migrate(self.engine, self.secrets)
        sessions = session_factory(self.engine)
        self.tenants = TenantStore(sessions, self.secrets)
        self.runs = RunStore(sessions)
        self.checkpoints = CheckpointStore(sessions)
        self.replay = ReplayStore(sessions)
        self.profiles = Profiles(settings.home / "profiles", int(settings.profile_max_mb * 2**20))
        self.ledger = Ledger(settings.home / "sessions", process_id())
        self.artifacts: ArtifactStore = artifact_store(settings)
        self.viewers = ViewerHub(Signer.for_home(settings.home), settings.public_url)
        self._planes: dict[str, Plane] = {}
        self._executor: Executor | None = None

    @property
    def executor(self) -> Executor:
        if self._executor is None:
            raise RuntimeError("no executor is attached to these services")
        return self._executor

    @executor.setter
    def executor(self, executor: Executor) -> None:
        self._executor = executor

    def plane(self, name: str) -> Plane:
        """The named compute plane, started on first use and shared by every run after."""
        if name not in self._planes:
            if name == "browser_use_plane":
                self._planes[name] = DomPlane(self.settings.chromium, self.settings.home)
            elif name == "computer_plane":
                self._planes[name] = ComputerPlane(self.settings.chromium, self.ledger)
            else:
                raise PlaneUnavailable(f"the compute plane {name!r} is not available on this server")
        return self._planes[name]

    async def close_planes(self) -> None:
        """Shuts the planes down; called on the loop their sessions run on (the runners')."""
        for plane in self._planes.values():
            await plane.shutdown()
        self._planes.clear()

    async def close(self) -> None:
        await self.close_planes()
        self.engine.dispose()
