"""AML/CFT API."""
