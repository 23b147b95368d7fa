"""The database's schema migrations (alembic), shipped inside the code and driven from it.

There is no alembic.ini: :func:`gateway.schema.alembic_config` builds the configuration, ``env.py`` runs on the
connection its caller opened, and ``versions/`` holds one revision per schema change, ``NNNN_<what>.py``.
Operators run ``python -m gateway migrate``; developers write a new revision with ``python -m gateway.migrations
"<what changes>"`` (docs/operations.md, "Schema migrations").
"""
