"""Admin of the reporting app: the yearly snapshots (compute, differences, freeze, unfreeze, downloads),
the indicator values with the records behind them, the manual values, and the dashboard."""

from . import manual, values, years  # noqa: F401 - registers the ModelAdmins
