"""The savings report for finance (`report`): its filters, its CSV export and its charts, each in its own module."""
