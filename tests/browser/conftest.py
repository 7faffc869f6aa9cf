"""The check notebook here is driven by a browser, not executed by nbval."""

collect_ignore = ["panel_check.ipynb"]
