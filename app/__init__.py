"""Hromada: the shared kernel (settings, database, web plumbing and the kernel areas)."""
