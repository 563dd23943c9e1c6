"""Build side of the computed accessibility: travel times between communes (``traveltime``)."""
