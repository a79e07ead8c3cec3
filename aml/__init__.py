"""AML/CFT monitoring (issue 20). For now only the name-matching engine, `aml.matching`."""
