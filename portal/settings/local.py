"""Local settings: ``make run`` (the demo), development and benchmarks on one machine.

DEBUG is on unless ``DEBUG=false`` is set (the worker tests and benchmarks measure with it
off); the committed demo secrets are allowed here only. Never serve the public with these.
"""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
PORTAL_DEMO_SECRETS_ALLOWED = True
