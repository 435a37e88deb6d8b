"""Webhooks: when a run ends, POST a signed event to its callback URL and retry until it is taken."""

from mantis.webhooks.dispatcher import Dispatcher, enqueue_for_run, enqueue_for_run_blocking
from mantis.webhooks.signing import sign, verify

__all__ = ["Dispatcher", "enqueue_for_run", "enqueue_for_run_blocking", "sign", "verify"]
