"""Reports for managers: the campaign dashboard, its drill-down lists, exports and the monthly report."""
