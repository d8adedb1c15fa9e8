"""Models of intake.roads."""
