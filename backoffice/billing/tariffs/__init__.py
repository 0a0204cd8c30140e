"""Price lists of hospitals, the resident tariff and the international price list (`kinds`): importing one from CSV
(`importing`, read by `csv_file`), the current list of each kind and its history (`current`), their pages, forms, the
hospital page's part (`hospital_page`) and `flask tariffs` command."""
