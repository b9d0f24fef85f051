"""osos — Automatic Meter Reading System (Otomatik Sayaç Okuma Sistemi)."""

__version__ = "0.1.0"
