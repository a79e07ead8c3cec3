"""Services of the gdpr app: every write that matters (a service: docs/architecture.md), one module per record type."""
