"""The course around the library: what the notebooks draw, the sliders, and the exercise checks.

- ``viz.py``              drawings: matrices, padded grids, the output-size figure, image grids
- ``explain.py``          the output-size explorer's logic: its text, suggestions, window positions
- ``widgets.py``          the output-size explorer (sliders) around it
- ``filters.py``          filter snapshots, per-filter normalization, feature maps
- ``network_widgets.py``  the learned-filter explorer and the single-image inference widget
- ``exercises.py``        the auto-checks of the notebooks' exercises
- ``pretrained/``         first-layer snapshots shipped for the filter explorer, and
  ``make_snapshots.py``   the script that makes them

Nothing here is needed to build or train a network; matplotlib and ipywidgets load when
a drawing or a widget is made. A new widget goes in a module here, its logic in plain
functions that the tests call without a browser.
"""
