"""Resident tariffs of hospitals: importing a price list (`importing`, read by `csv_file`), the current tariff and its
history (`current`), their pages, forms and `flask tariffs` command."""
