"""sealed webhook secrets

Widens `tenants.webhook_secret` for a sealed value (`fernet:<token>`, about 140 characters) and seals
every secret an older version stored in plain text, under the server's key (mantis.secretbox).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from mantis.secretbox import PREFIX

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

tenants = sa.table("tenants", sa.column("id", sa.String), sa.column("webhook_secret", sa.Text))


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.alter_column("webhook_secret", type_=sa.Text(), existing_type=sa.String(length=100))
    bind = op.get_bind()
    secret = tenants.c.webhook_secret
    plain = bind.execute(sa.select(tenants.c.id, secret).where(~secret.startswith(PREFIX))).all()
    if not plain:
        return
    config = op.get_context().config
    box = config.attributes.get("secret_box") if config is not None else None
    if box is None:
        raise RuntimeError("sealing stored webhook secrets needs the server's secret box")
    for tenant_id, value in plain:
        bind.execute(tenants.update().where(tenants.c.id == tenant_id).values(webhook_secret=box.seal(value)))


def downgrade() -> None:
    raise NotImplementedError("sealed secrets are not unsealed into the database again")
