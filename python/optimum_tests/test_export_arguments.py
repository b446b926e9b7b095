"""The export the job runs, against optimum-neuron's own argument parser and defaults."""

from __future__ import annotations

from argparse import ArgumentParser

import pytest
from optimum.commands.export.neuronx import parse_args_neuronx

from neuronx_compile.optimum_recipe import cli_arguments, export_options
from optimum_tests.conftest import settings_for


def parse(argv: list[str]):
    parser = ArgumentParser("optimum-cli export neuron")
    parse_args_neuronx(parser)
    return parser.parse_args(argv)


@pytest.mark.parametrize(
    ("tp", "positions", "batch", "amp", "dtype"),
    [
        ("2", "4096", "4", "bf16", "bfloat16"),
        ("8", "8192", "1", "f16", "float16"),
        ("24", "2048", "8", "f32", "float32"),
    ],
)
def test_the_recorded_cli_arguments_parse_with_optimums_export_parser(tmp_path, tp, positions, batch, amp, dtype):
    settings = settings_for(
        "test-org/tiny-llama",
        tmp_path,
        NEURONX_TP_DEGREE=tp,
        NEURONX_N_POSITIONS=positions,
        NEURONX_BATCH_SIZE=batch,
        NEURONX_AMP=amp,
    )
    args = parse(cli_arguments(settings, tmp_path / "snapshot", tmp_path / "compiled"))
    options = export_options(settings)
    assert args.model == str(tmp_path / "snapshot")
    assert str(args.output) == str(tmp_path / "compiled")
    assert args.task == options["task"] == "text-generation"
    assert args.instance_type == options["instance_type"] == "inf2"
    assert (args.batch_size, args.sequence_length, args.tensor_parallel_size) == (int(batch), int(positions), int(tp))
    assert args.torch_dtype == options["torch_dtype"] == dtype


def test_a_value_outside_optimums_choices_is_refused_by_its_parser(tmp_path):
    settings = settings_for("test-org/tiny-llama", tmp_path)
    argv = cli_arguments(settings, "m", "o")
    argv[argv.index("--instance_type") + 1] = "inf1"
    with pytest.raises(SystemExit):
        parse(argv)
