"""A tamper-evident, hash-chained audit log of every act that counts."""
