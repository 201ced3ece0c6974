"""Reports drawn for people and programs: the terminal tree, the graph view, DOT, JSON and
the SVG/HTML/text saves. Views only draw: every number comes from the report. No torch."""
