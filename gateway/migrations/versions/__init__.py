"""One module per revision (alembic skips this file); a package so that installs ship the revisions."""
