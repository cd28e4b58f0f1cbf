"""The revisions, one branch per store."""
