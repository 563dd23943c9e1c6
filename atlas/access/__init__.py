"""Computed accessibility (2SFCA) shared by the build and the read side.

* :mod:`atlas.access.weights`: decay steps by travel time, per supply, with their source;
* :mod:`atlas.access.parameters`: activity, demand, unit and threshold of each supply;
* :mod:`atlas.access.fca`: the two steps on a sparse weight matrix (pure functions);
* :mod:`atlas.access.model`: :class:`~atlas.access.model.AccessModel`, what-if scenarios in milliseconds;
* :mod:`atlas.access.io`: the only module here that reads files (the build's travel times and inputs).
"""
