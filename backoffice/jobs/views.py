"""The administrators' page of background jobs (being written)."""
