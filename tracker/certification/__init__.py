"""Certification coaching (认证培育): the certification standard as data, and firms' assessments against it."""
