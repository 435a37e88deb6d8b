"""What `/metrics` shows, counted where each thing happens.

Counters and the histogram live in this process: with several server processes, sum them across
processes. The queue and running gauges are read from the run store at scrape time, so every process
shows the same, store-wide values.
"""

from __future__ import annotations

from datetime import datetime

from prometheus_client import Counter, Gauge, Histogram

FINAL_STATUSES = ("succeeded", "failed", "cancelled")
WEBHOOK_OUTCOMES = ("delivered", "retrying", "failed", "refused")

RUNS_SUBMITTED = Counter("mantis_runs_submitted", "Runs accepted (an idempotent replay is not counted).")
RUNS_FINISHED = Counter("mantis_runs_finished", "Runs that reached a final status.", ["status"])
RUN_DURATION = Histogram(
    "mantis_run_duration_seconds",
    "From a run's start to its end, for runs that started.",
    buckets=(1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600),
)
RUNS_QUEUED = Gauge("mantis_runs_queued", "Runs waiting in the queue, store-wide.")
RUNS_RUNNING = Gauge("mantis_runs_running", "Runs running now, store-wide.")
MODEL_COST = Counter("mantis_model_cost_usd", "Model spend in USD.", ["provider", "model"])
WEBHOOK_DELIVERIES = Counter(
    "mantis_webhook_deliveries", "Webhook delivery attempts by outcome.", ["outcome"]
)

for _status in FINAL_STATUSES:
    RUNS_FINISHED.labels(_status)
for _outcome in WEBHOOK_OUTCOMES:
    WEBHOOK_DELIVERIES.labels(_outcome)


def run_finished(status: str, started_at: datetime | None, finished_at: datetime) -> None:
    RUNS_FINISHED.labels(status).inc()
    if started_at is not None:
        RUN_DURATION.observe(max((finished_at - started_at).total_seconds(), 0.0))


def webhook_attempt(delivery_status: str) -> None:
    """Counts one delivery attempt by the delivery's status after it (`pending` means a retry is due)."""
    WEBHOOK_DELIVERIES.labels("retrying" if delivery_status == "pending" else delivery_status).inc()
