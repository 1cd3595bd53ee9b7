"""Remote agents' own API keys: checked at the HTTP door, forwarded on their API calls."""
