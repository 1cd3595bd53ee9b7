"""Local fake servers speaking real vendors' wire formats on 127.0.0.1; server.py is their base."""
