"""Scope: which service points must be in OSOS, and why.

``rules`` holds the inclusion rules as versioned data and evaluates them as pure functions over
``ServicePointFacts``; ``service`` gathers those facts from the store (annual consumption from
stored reads, modem groups, approved voluntary requests, company decisions) and records the
back office's decisions. ``osos scope evaluate`` prints the result and the work plan.
"""
