#: The toolkit version this package implements, and the default ``version`` of the provenance
#: entries it writes (the Swift tools write theirs the same way).
__version__ = "0.1.0"
