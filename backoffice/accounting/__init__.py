"""The accountant's books: DATEV booking batches of issued invoices, credit notes and payments per period, each
export recorded so that nothing is booked twice; and the VAT table finance keeps."""
