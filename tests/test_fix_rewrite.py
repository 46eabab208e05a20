"""``graphlab fix``'s source edit: the verified keyword arguments go into the decorator
or the tf.function(...) call, and a file that changed is never overwritten."""

from __future__ import annotations

import pytest

from graphlab.cli import fix as fix_command
from graphlab.tracing.fix import NotRewritable, rewrite, unified_diff

SIGNATURE = "input_signature=[tf.TensorSpec(shape=None, dtype=tf.float32)]"


def test_a_bare_decorator_gets_the_arguments():
    source = "import tensorflow as tf\n\n\n@tf.function\ndef f(x):\n    return x\n"
    assert rewrite(source, "f", 4, SIGNATURE) == source.replace(
        "@tf.function\n", f"@tf.function({SIGNATURE})\n"
    )


def test_a_decorator_with_arguments_keeps_them_and_a_repeated_one_is_replaced():
    source = "@tf.function(jit_compile=True)  # é\ndef f(x):\n    return x\n"
    assert rewrite(source, "f", 1, SIGNATURE).startswith(
        f"@tf.function(jit_compile=True, {SIGNATURE})  # é\n"
    )
    replaced = rewrite(source.replace("jit_compile", "reduce_retracing"), "f", 1, SIGNATURE)
    assert replaced.startswith(f"@tf.function(reduce_retracing=True, {SIGNATURE})")
    twice = rewrite(
        "@tf.function(reduce_retracing=False)\ndef f(x): ...\n", "f", 1, "reduce_retracing=True"
    )
    assert twice.startswith("@tf.function(reduce_retracing=True)\n")


def test_a_method_and_a_tf_function_call():
    source = (
        "class M:\n    @graphlab.function\n    def step(self, x):\n        return x\n\n\n"
        "def g(x):\n    return x\n\n\nfast = tf.function(g)\nalso = tf.function(\n    g,\n)\n"
    )
    fixed = rewrite(source, "step", 2, SIGNATURE)
    assert f"    @graphlab.function({SIGNATURE})\n" in fixed
    fixed = rewrite(source, "g", 7, SIGNATURE)
    assert f"fast = tf.function(g, {SIGNATURE})\n" in fixed
    assert f"also = tf.function(\n    g, {SIGNATURE},\n)\n" in fixed  # its trailing comma kept
    assert fixed.count(SIGNATURE) == 2
    diff = unified_diff("m.py", source, fixed)
    assert diff.startswith("--- a/m.py\n+++ b/m.py\n")
    assert "-fast = tf.function(g)\n" in diff


def test_what_cannot_be_rewritten_says_why():
    with pytest.raises(NotRewritable, match=r"no @tf\.function decorator on f"):
        rewrite("def f(x):\n    return x\n", "f", 1, SIGNATURE)
    with pytest.raises(NotRewritable, match="does not parse"):
        rewrite("def f(:\n", "f", 1, SIGNATURE)


def test_write_refuses_a_file_that_changed_and_keeps_the_original(tmp_path, capsys):
    path = tmp_path / "train.py"
    path.write_text("@tf.function\ndef f(x): ...\n")
    original = path.read_text()
    fixed = rewrite(original, "f", 1, SIGNATURE)
    path.write_text(original + "# edited by the user meanwhile\n")
    assert fix_command._write({str(path): fixed}, {str(path): original}) == 1
    assert "changed since the run started; nothing written" in capsys.readouterr().err
    assert path.read_text().endswith("meanwhile\n")
    path.write_text(original)
    (tmp_path / "train.py.orig").write_text("an older backup\n")
    assert fix_command._write({str(path): fixed}, {str(path): original}) == 0
    assert path.read_text() == fixed
    assert (tmp_path / "train.py.orig").read_text() == "an older backup\n"  # kept
    assert (tmp_path / "train.py.orig.1").read_text() == original


def test_bad_options_get_one_line_and_exit_2(tmp_path, capsys):
    from graphlab.cli.main import main

    script = tmp_path / "s.py"
    script.write_text("print('never runs')\n")
    cases = {
        ("fix", str(tmp_path / "nosuch.py")): "graphlab fix: error: no such script:",
        ("fix",): "graphlab fix: error: give a script (graphlab fix train.py ...) or a module",
        ("fix", "-m", "no_such_module_xyz"): "graphlab fix: error: no module named",
        ("fix", "--verify-timeout", "0", str(script)): "--verify-timeout must be a positive",
        (
            "watch",
            "--verify-timeout",
            "5",
            str(script),
        ): "--verify-timeout goes with --verify-advice",
    }
    for argv, message in cases.items():
        assert main(list(argv)) == 2
        captured = capsys.readouterr()
        assert message in captured.err and captured.err.count("\n") == 1, captured.err
        assert "never runs" not in captured.out
