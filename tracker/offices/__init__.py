"""Customs offices (a tree: 海关总署 > 直属海关 > 隶属海关) and their departments (责任科室)."""
