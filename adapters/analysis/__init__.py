"""Fact gathering for launch analysis: one module per source (chain bytes, HTTP services, the
creator history), plus the shared rate limit and cache. The checks over these facts are pure and
live in actors/policy/analysis.py."""
