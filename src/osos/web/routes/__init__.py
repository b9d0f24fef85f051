"""Route modules of the panel."""
