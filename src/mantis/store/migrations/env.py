"""Alembic environment: migrations run from code at server start, on the engine the store hands over."""

from alembic import context

import mantis.webhooks.models  # noqa: F401  (its table belongs to the metadata autogenerate compares)
from mantis.store.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("mantis migrations run through mantis.store.db.migrate()")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
