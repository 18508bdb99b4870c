"""Ticket rendering for buyers: QR codes and printable PDFs (money and dates formatted by chalicelib.i18n)."""
