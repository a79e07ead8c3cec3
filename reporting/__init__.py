"""The yearly indicators, their snapshots and the DPEF export."""
