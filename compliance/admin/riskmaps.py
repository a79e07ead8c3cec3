"""Admin of the compliance app: riskmaps."""
