"""Developer tools for the Future Fish integration: test broker and controller simulator."""
