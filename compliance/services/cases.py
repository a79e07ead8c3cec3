"""Services of the compliance app: cases."""
