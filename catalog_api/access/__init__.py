"""Named API keys with scopes: who may read, write, describe and administer the catalog."""
