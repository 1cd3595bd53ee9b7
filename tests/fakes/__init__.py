"""Local fake servers that speak real vendors' wire formats on 127.0.0.1."""
