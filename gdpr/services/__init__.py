"""Services of the gdpr app: every write that matters (STYLE.md), one module per record type."""
