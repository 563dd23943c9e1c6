"""Generic drawing code for every map of the atlas (explorer, simulation, exports).

* :mod:`.view`     which communes a view draws (territory, département, région, France)
* :mod:`.classes`  classes that inform (thresholds, quantiles, natural breaks, zero, change)
* :mod:`.layer`    values, statuses, classes and legend of one indicator over the communes drawn
"""
