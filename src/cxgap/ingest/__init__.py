"""Turn outside files into validated tables: CSV/XLSX reading, cell checks."""
