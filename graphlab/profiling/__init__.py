"""Below tf.function: what TensorFlow's profiler sees (XLA compilations, a first call's
phases, the ops a step spends its time in).

``records`` holds the neutral records, ``xplane`` the pure reading of profile events,
``session`` one profiler session around a block of code (through :mod:`graphlab._tf`).
"""
