"""Settings package: base (local defaults), test, production."""
