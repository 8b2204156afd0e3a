"""ca3-cam: a spike-based hippocampal CA3 content-addressable memory (Casanueva-Morato et al. 2024)."""
