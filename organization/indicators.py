"""What organization/ declares for reporting: the columns of the employees behind the training figures in the
auditor pack (reporting/records.py). It computes no indicator of its own."""

# -- Records for the auditor pack (reporting/records.py) ----------------------------------------------------
#: What an auditor sees of each employee behind a value: the fields that trace it, and no more
#: personal data than that. Headers are stable identifiers (not translated).
RECORD_COLUMNS = {
    "organization.employee": (
        ("employee_id", "employee_id"),
        ("entity_code", "entity__code"),
        ("department", "department__name"),
        ("hired_on", "hired_on"),
        ("left_on", "left_on"),
        ("gender", "gender"),
        ("is_manager", "is_manager"),
        ("function_at_risk", "function_at_risk"),
        ("department_function_at_risk", "department__function_at_risk"),
    ),
}
