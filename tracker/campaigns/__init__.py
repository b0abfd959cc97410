"""Survey campaigns (调研活动) and their rosters of firms."""
