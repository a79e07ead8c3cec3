"""Services of the AML/CFT app: every write goes through them (history with who and why)."""
