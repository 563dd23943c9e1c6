"""Parsers of the official formats, one module per source family. Pure functions: path in, data out."""
