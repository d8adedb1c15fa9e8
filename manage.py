#!/usr/bin/env python
"""Django's command-line utility."""

import os
import sys


def main() -> None:
    # Unset means production: it refuses to start without real secrets (fail closed).
    # `make run` and the other developer targets choose portal.settings.local explicitly.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.production")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        # The message names the variable to set; a traceback would only hide it.
        sys.exit(f"The portal refuses to start ({os.environ['DJANGO_SETTINGS_MODULE']}): {error}")


if __name__ == "__main__":
    main()
