"""Import/export firms (企业) of a district."""
