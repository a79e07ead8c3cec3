"""Training modules, completions, workshops and completion rates against the headcount."""
