"""The production WSGI entry point (`gunicorn config.wsgi`): production settings only.

`make run` serves through `runserver`, which does not use this module (WSGI_APPLICATION is None in the
development settings). A gunicorn started without `DJANGO_SETTINGS_MODULE=config.settings.production`
(in the environment or in `.env`, read by the `config` package) would otherwise serve the development
settings (DEBUG, SQLite under the checkout, mail to files): it refuses to start instead.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()

if not getattr(settings, "VIGIE_PRODUCTION", False):
    raise ImproperlyConfigured(
        f"config.wsgi serves production settings only, not {settings.SETTINGS_MODULE}: set "
        "DJANGO_SETTINGS_MODULE=config.settings.production in the environment or in .env "
        "(for development, `make run`)."
    )
