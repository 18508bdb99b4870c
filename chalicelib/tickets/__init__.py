"""Ticket rendering for buyers: QR codes, printable PDFs and Belgian formatting of money and dates."""
