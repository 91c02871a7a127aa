"""The fleet in the app: attaching to runs anywhere, and the Instances panel (reference §12)."""
