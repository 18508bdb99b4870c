"""Clients of outside services (publiq's UiTdatabank and UiTPAS, the UiTwisselingsplatform) and the
fan-out consumers' glue (Powertools batch processing with idempotency)."""
