"""Policy briefings (宣讲会): registration, capacity, materials and check-in at the door."""
