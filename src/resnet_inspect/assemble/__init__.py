"""Records to reports, in pure Python: grouping into sections and blocks, totals, summaries.
Nothing here imports torch (a test imports every module of this folder without it)."""
