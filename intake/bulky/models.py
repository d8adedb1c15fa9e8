"""Models of intake.bulky."""
