"""iec62056_21 layer of osos (see docs/design.md)."""
