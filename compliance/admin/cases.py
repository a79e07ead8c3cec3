"""Admin of the compliance app: cases."""
