"""Use cases: one function per user action. They call the domain and the ports (small classes the
adapters implement and tests fake) and own their transactions."""
