"""Legal entities, departments and employees: the HR roster at any date."""
