"""Services of the compliance app: riskmaps."""
