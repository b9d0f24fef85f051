"""Print what the models have that the migrations do not (Alembic autogenerate, dry run).

Usage: .venv/bin/python scripts/migration_diff.py   — then copy the operations for your own
tables into your layer's migration file in src/osos/store/migrations/versions/.
"""

from __future__ import annotations

import pprint
import tempfile
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from osos.store.db import make_engine, upgrade
from osos.store.models import Base


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'diff.sqlite3'}"
        upgrade(url)
        engine = make_engine(url)
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        engine.dispose()
    pprint.pprint(diff, width=120)


if __name__ == "__main__":
    main()
