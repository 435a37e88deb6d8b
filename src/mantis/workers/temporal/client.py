"""One way to reach the cluster, for the API and the workers alike."""

from __future__ import annotations

from temporalio.client import Client

from mantis.config import TemporalSettings


async def connect(settings: TemporalSettings) -> Client:
    return await Client.connect(settings.address, namespace=settings.namespace)
