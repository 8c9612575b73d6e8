"""The tool layer: rule catalogue, exact calculators and eligibility checks."""
