"""Plain views of the core app."""
from django.http import HttpRequest, JsonResponse

from . import health as health_checks


def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and operators: 200 when the database answers, else 503."""
    status = health_checks.status()
    return JsonResponse(status, status=200 if status["database"] == "ok" else 503)
