"""Conflict-of-interest cases, action plans and the Sapin II risk maps."""
