"""web layer of osos (see docs/design.md)."""
