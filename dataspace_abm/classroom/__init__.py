"""A classroom in one model: each student steers one organization's landscape from a
browser while the teacher runs the rounds and the class sees what it cost (HubNet-like)."""
