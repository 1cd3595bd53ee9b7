"""HTTP routes: thin adapters from requests to service calls."""
