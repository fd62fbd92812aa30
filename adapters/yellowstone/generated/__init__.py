"""Stubs generated from ../proto by `python -m adapters.yellowstone.codegen`; do not edit by hand."""
