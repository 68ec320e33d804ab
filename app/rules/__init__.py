"""Rules engine: per-community, versioned rule sets, the working-day calendar and deadlines."""
