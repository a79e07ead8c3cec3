# django-simple-history ships no type information. These stubs declare only what the type checker must
# know for Vigie's admin classes to be checked: SimpleHistoryAdmin is a ModelAdmin, generic in its model.
# The modules not declared here (models, utils) are read as untyped (see [tool.mypy] in pyproject.toml).
