"""Exports of the gdpr app (reads written as files), one module per record type like services/."""
