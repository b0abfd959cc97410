"""Questionnaires (调查问卷): defined by managers, answered once per firm in the portal or on paper."""
