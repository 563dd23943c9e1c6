"""Shared core of the atlas: what the ETL (writer) and the dashboard and CLI (readers) agree on.

* :mod:`atlas.paths`     where things are (data directory, current build, file names, user data)
* :mod:`atlas.catalog`   every indicator declared once, presentation included
* :mod:`atlas.fmt`       the one French formatter (numbers, values, units, plurals)
* :mod:`atlas.numbers`   the one French-number parser
* :mod:`atlas.errors`    errors meant for people (file, line, column)
* :mod:`atlas.userdata`  what users create (saved territories, imported CPAM tables)
* :mod:`atlas.read`      the read model: the only way anything reads a build

Nothing here builds or downloads: ``import atlas.read`` never loads the ETL.
"""
