"""Assistance plans (一企一策帮扶方案): drafting, approval and the measures that carry them out."""
