"""Services of the compliance app: every write that matters, one module per record type."""
