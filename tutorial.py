import logging

import tensorflow as tf
import graphlab
from graphlab import examples

logging.getLogger("graphlab").setLevel(logging.ERROR)   # the report says it all

tf_cube = graphlab.function(examples.cube)              # def cube(x): return x ** 3
tf_cube(tf.constant(2.0))
tf_cube(2)
tf_cube(3)
tf_cube(tf.constant([[1.0, 2.0]]))
tf_cube(tf.constant([[3.0, 4.0], [5.0, 6.0]]))
tf_cube(tf.constant([[7.0, 8.0], [9.0, 10.0]]))         # same shape: no new trace
report = tf_cube.trace_report()
print(report)

result = graphlab.inspect(tf_cube)                      # every graph it has so far
print(result)

scalar = tf.TensorSpec([], tf.float32)
unrolled = graphlab.inspect(examples.add_10_range, scalar)    # for i in range(10)
looped = graphlab.inspect(examples.add_10_tf_range, scalar)   # for i in tf.range(10)
print(unrolled.concrete_functions[0].op_count_total, dict(unrolled.concrete_functions[0].ops_by_type)["AddV2"])
print(looped.concrete_functions[0].control_flow[0].op_type)
print(graphlab.diff_graphs(looped.concrete_functions[0], unrolled.concrete_functions[0]).summary())

print(graphlab.autograph_code(examples.add_10_tf_range))

counter = tf.Variable(0)
passed = graphlab.inspect(examples.increment, counter)        # increment(counter, c=1)
increment_captured, _ = examples.make_increment_captured()
captured = graphlab.inspect(increment_captured)
print("passed:  ", passed.concrete_functions[0].signature, passed.concrete_functions[0].captures)
print("captured:", captured.concrete_functions[0].signature,
      [c.name for c in captured.concrete_functions[0].captures])

comparison = graphlab.combine(
    graphlab.compare(examples.cube, tf.constant(2.0), label="cube(scalar)", max_time=0.2),
    graphlab.compare(examples.power, examples.power_input(), 100, label="power(x, 100)",
                     max_time=0.2, measure_floor=False),
)
print(comparison)

import keras

x, y = examples.fashion_mnist_like(256)
training = graphlab.bench_training_step(
    examples.make_mlp,
    lambda: keras.optimizers.Nadam(learning_rate=1e-2),
    keras.losses.sparse_categorical_crossentropy,
    (x, y),
    batch_size=32,
    modes=["eager", "graph", "xla", "fit"],
    max_time=0.3,
    fit_steps=64,
)
print(training)

step = graphlab.function(lambda batch: tf.reduce_sum(batch))
step(tf.ones([32, 4]))                                    # the expected first trace
with graphlab.no_retrace(step):
    for _ in range(3):
        step(tf.ones([32, 4]))
print(len(step.traces))

