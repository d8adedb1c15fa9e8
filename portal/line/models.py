"""Models of portal.line."""
