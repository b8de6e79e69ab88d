"""Preloaded by the verifier's forkserver: imports the checker and builds math-verify's parsers once."""

from .verifier import _warm

_warm()
