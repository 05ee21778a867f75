"""OR-Tools min-cost flow / linear programming back-ends (exact allocation)."""
