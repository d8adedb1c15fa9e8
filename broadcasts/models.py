"""Models of broadcasts."""
