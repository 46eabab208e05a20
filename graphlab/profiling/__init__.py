"""Below tf.function: what TensorFlow's profiler sees (XLA compilations, a first call's
phases, the ops a step spends its time in).

``records`` holds the records, ``xplane`` the pure reading of profile events (the
neutral :class:`graphlab._types.Event` that :mod:`graphlab._tf.profiler` returns),
``session`` one profiler session around a block of code, ``steps`` / ``calls`` /
``advice`` what a profile says of a step, ``render`` how it is shown. Importing this
package imports nothing.
"""
