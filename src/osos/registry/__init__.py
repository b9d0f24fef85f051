"""Registry import: service points, meters, installations and supply periods from CSV/XLSX."""
