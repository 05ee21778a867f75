"""OR-Tools CP-SAT back-ends (scheduling; allocation with side constraints)."""
