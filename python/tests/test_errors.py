"""Every bad input raises the documented exception with a message naming what is wrong."""
import os

import numpy as np
import pytest

import spcc


@pytest.fixture()
def mlp(compiled):
    test_model, path = compiled("mlp_demo")
    model = spcc.load(path)
    yield model, test_model.inputs["input"]
    model.close()


def test_wrong_dtype_is_a_type_error(mlp):
    model, x = mlp
    with pytest.raises(TypeError, match="input 'input' has dtype float64, the model takes float32"):
        model.run({"input": x.astype(np.float64)})
    with pytest.raises(TypeError, match="input 'input' must be a numpy array, got list"):
        model.run({"input": x.tolist()})
    with pytest.raises(TypeError, match="inputs must be a dict"):
        model.run([x])


def test_wrong_shape_missing_and_unknown_inputs_are_value_errors(mlp):
    model, x = mlp
    with pytest.raises(ValueError, match=r"input 'input' has shape \(1, 255\), the model takes "
                                         r"\(1, 256\)"):
        model.run({"input": x[:, :255].copy()})
    with pytest.raises(ValueError, match=r"shape \(256,\)"):
        model.run({"input": x[0].copy()})
    with pytest.raises(ValueError, match="missing input 'input'"):
        model.run({})
    with pytest.raises(ValueError, match="unknown input 'inputs'"):
        model.run({"input": x, "inputs": x})


def test_non_contiguous_input_is_a_value_error(mlp):
    model, x = mlp
    strided = np.repeat(x, 2, axis=1)[:, ::2]
    assert np.array_equal(strided, x) and not strided.flags.c_contiguous
    with pytest.raises(ValueError, match="input 'input' is not C-contiguous"):
        model.run({"input": strided})
    # The contiguous copy is accepted and gives the same answer as the original.
    np.testing.assert_array_equal(model.run({"input": np.ascontiguousarray(strided)})["logits"],
                                  model.run({"input": x})["logits"])


def test_closed_model_and_context_raise(compiled):
    test_model, path = compiled("mlp_demo")
    model = spcc.load(path)
    context = model.context(threads=1)
    context.run(test_model.inputs)
    model.close()
    assert model.closed and context.closed
    with pytest.raises(spcc.ClosedError, match="is closed"):
        model.run(test_model.inputs)
    with pytest.raises(spcc.ClosedError):
        context.run(test_model.inputs)
    with pytest.raises(spcc.ClosedError):
        model.context()
    with pytest.raises(spcc.ClosedError):
        model.bench()
    model.close()  # idempotent


def test_bad_files_are_load_errors(compiled, tmp_path):
    _, path = compiled("mlp_demo")
    with pytest.raises(spcc.LoadError) as missing:
        spcc.load(str(tmp_path / "absent.so"))
    assert missing.value.status == "SPCC_ERR_IO"
    truncated = tmp_path / "truncated.so"
    with open(path, "rb") as file:
        truncated.write_bytes(file.read()[:4096])
    with pytest.raises(spcc.LoadError, match="truncated") as damaged:
        spcc.load(str(truncated))
    assert damaged.value.status == "SPCC_ERR_BAD_MODEL"
    not_a_model = tmp_path / "text.so"
    not_a_model.write_text("hello")
    with pytest.raises(spcc.LoadError):
        spcc.load(str(not_a_model))
    with pytest.raises(ValueError, match="threads"):
        spcc.load(path, threads=-1)


def test_input_data_the_model_rejects_is_a_run_error(compiled):
    test_model, path = compiled("bert_tiny")
    ids = test_model.inputs["input_ids"].copy()
    ids[0, 3] = 5000  # the vocabulary has 1000 tokens
    with spcc.load(path) as model:
        with pytest.raises(spcc.RunError, match=r"outside \[-1000, 1000\)") as failure:
            model.run({"input_ids": ids, "attention_mask": test_model.inputs["attention_mask"]})
        assert failure.value.status == "SPCC_ERR_INVALID_ARGUMENT"
        # The model still runs afterwards.
        model.run(test_model.inputs)


def test_compile_errors_carry_the_message_and_exit_code(tmp_path):
    with pytest.raises(spcc.CompileError) as missing:
        spcc.compile(str(tmp_path / "absent.onnx"), str(tmp_path / "m.so"))
    assert missing.value.exit_code == 3
    assert "cannot read" in missing.value.message and "\n" not in missing.value.message
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x07garbage")
    with pytest.raises(spcc.CompileError) as malformed:
        spcc.compile(str(bad), str(tmp_path / "m.so"))
    assert malformed.value.exit_code != 0 and malformed.value.message
    assert not os.path.exists(tmp_path / "m.so")
    with pytest.raises(ValueError, match="tune"):
        spcc.compile(str(bad), str(tmp_path / "m.so"), tune="fastest")
    with pytest.raises(TypeError, match="shapes"):
        spcc.compile(str(bad), str(tmp_path / "m.so"), shapes={"x": 5})
