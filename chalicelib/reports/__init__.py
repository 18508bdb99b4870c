"""Documents for house staff: settlement statements as CSV, PDF and HTML."""
