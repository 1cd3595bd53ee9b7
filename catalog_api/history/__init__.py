"""Change history of products: who changed what and when, the feed of changes, and undo."""
