#!/usr/bin/env python
"""Django's command-line utility for Vigie."""

import os
import sys


def main() -> None:
    # `.env` first (config/dotenv.py): it may name the settings module, and its variables must win over
    # the development default below.
    from config.dotenv import read_dotenv

    read_dotenv()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
