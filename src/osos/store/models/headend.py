"""Tables of the headend layer (owned by that layer; migration in store/migrations/versions)."""

from __future__ import annotations
