"""Dash web app of the CPTS care-access atlas. Reads geodata/ only; never downloads, never writes the database."""
