"""Medicine order pages (being written)."""
