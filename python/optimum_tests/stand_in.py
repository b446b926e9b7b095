"""Stand-ins for the parts of optimum-neuron 0.4.5 that cannot run without the Neuron SDK.

Everything else the tests run is the real package. Replaced here, each mirroring the real signature:

- ``LlamaNeuronModelForCausalLM``: optimum/neuron/models/inference/auto_models.py registers
  ``LlamaNeuronModelForCausalLM(LlamaNxDModelForCausalLM)``; that module imports neuronx_distributed
  (backend/pretrained_model.py), which only installs with the Neuron SDK. The stand-in extends the real
  ``NeuronModelForCausalLM`` (modeling_utils.py) and implements its abstract methods as in 0.4.5:
  ``_get_neuron_config`` exactly as llama/modeling_llama.py:341 (a real ``NxDNeuronConfig``);
  ``_export`` as backend/pretrained_model.py:315 NxDPreTrainedModel._export, with the trace/compile
  (neuronx-cc under ``hub_neuronx_cache``) replaced: the compiled graphs come from the Hub cache repo
  that ``get_hf_hub_cache_repo`` names (CUSTOM_CACHE_REPO) when it holds this configuration's module
  folder, as libneuronxla's cache proxy fetches them (cache/hub_cache.py CompileCacheHfProxy.download_folder),
  and are "compiled" (recorded) otherwise; ``_save_pretrained`` as NxDPreTrainedModel.save: model.pt and,
  for a local checkpoint, checkpoint/weights/tp<rank>_sharded_checkpoint.safetensors.
- optimum/neuron/models/neuron_config.py, for the same reason (see install_model_classes).
- The serving host, for ``optimum-cli neuron serve`` (commands/neuron/serve.py ServeCommand.run): the
  instance type read from DMI (utils/instance.py current_instance_type) and the vLLM 0.11.0 server
  entry points it calls after its checks (vllm.entrypoints.openai.cli_args.make_arg_parser,
  validate_parsed_serve_args, vllm.entrypoints.openai.api_server.run_server).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import types
from pathlib import Path

from huggingface_hub import HfApi
from huggingface_hub.errors import EntryNotFoundError
from optimum.neuron.models.auto_model import register_neuron_model
from optimum.neuron.models.inference.backend.config import NxDNeuronConfig
from optimum.neuron.models.inference.modeling_utils import NeuronModelForCausalLM
from optimum.neuron.utils.cache_utils import get_hf_hub_cache_repo
from optimum.neuron.utils.instance import align_compilation_target

# The compiler directory of the Hub cache (neuronxcc-<version of optimum-neuron's neuronx extra>).
COMPILER_DIR = "neuronxcc-2.21.33363.0+ca8fd5c4"  # as compiler_stand_in/neuronxcc.__version__
# Each call of the stand-in's _export, for the tests to read.
CALLS: list[dict] = []


def module_folder(neuron_config: NxDNeuronConfig) -> str:
    """The cache folder of this configuration's compiled graphs (the real one is named by the HLO's hash)."""
    digest = hashlib.sha256(neuron_config.to_json_string().encode()).hexdigest()[:20]
    return f"{COMPILER_DIR}/MODULE_{digest}"


class LlamaNeuronModelForCausalLM(NeuronModelForCausalLM):
    task = "text-generation"

    def __init__(self, config, neuron_config: NxDNeuronConfig, traced_model: bytes) -> None:
        self.config = config
        self.neuron_config = neuron_config
        self.config.torch_dtype = neuron_config.torch_dtype
        self._traced_model = traced_model

    @classmethod
    def _get_neuron_config(
        cls, checkpoint_id, checkpoint_revision, instance_type, batch_size, sequence_length, tensor_parallel_size, dtype
    ):
        continuous_batching = (batch_size > 1) if batch_size else False
        return NxDNeuronConfig(
            checkpoint_id=checkpoint_id,
            checkpoint_revision=checkpoint_revision,
            batch_size=batch_size,
            sequence_length=sequence_length,
            tp_degree=tensor_parallel_size,
            torch_dtype=dtype,
            target=instance_type,
            on_device_sampling=True,
            fused_qkv=True,
            continuous_batching=continuous_batching,
        )

    @classmethod
    def _export(
        cls,
        model_id,
        config,
        neuron_config,
        token=None,
        revision=None,
        cache_dir=None,
        force_download=False,
        local_files_only=False,
        trust_remote_code=False,
        load_weights=False,
        **kwargs,
    ):
        compilation_target = align_compilation_target(neuron_config.target, override=False)
        if compilation_target != neuron_config.target:
            raise ValueError(f"The compilation target is {neuron_config.target} but {compilation_target} is set")
        config.torch_dtype = neuron_config.torch_dtype
        repo = get_hf_hub_cache_repo()
        folder = module_folder(neuron_config)
        api = HfApi(endpoint=os.environ.get("HF_ENDPOINT"))
        call = {"call": "_export", "model_id": model_id, "cache_repo": repo, "neuron_config": neuron_config.to_dict()}
        try:
            files = [f.path for f in api.list_repo_tree(repo, folder, recursive=True) if hasattr(f, "size")]
        except EntryNotFoundError:
            files = []
        except Exception as error:  # noqa: BLE001 - as the proxy: an unreadable cache means a recompile
            call["cache_error"] = str(error)
            files = []
        if files:
            traced = b"".join(Path(api.hf_hub_download(repo, name)).read_bytes() for name in sorted(files))
            call.update(compiled=False, fetched=sorted(files))
        else:
            traced = b"NEFF stand-in compiled for " + neuron_config.to_json_string().encode()
            call.update(compiled=True, fetched=[])
        CALLS.append(call)
        return cls(config=config, neuron_config=neuron_config, traced_model=traced)

    @classmethod
    def _from_pretrained(cls, model_id, config, **kwargs):
        neuron_config = NxDNeuronConfig.from_pretrained(model_id)
        return cls(config, neuron_config, (Path(model_id) / "model.pt").read_bytes())

    def _save_pretrained(self, save_directory, **kwargs):
        dest = Path(save_directory)
        (dest / "model.pt").write_bytes(self._traced_model)
        source = Path(getattr(self.config, "_name_or_path", ""))
        if source.is_dir():
            weights = dest / "checkpoint" / "weights"
            weights.mkdir(parents=True, exist_ok=True)
            data = b"".join(p.read_bytes() for p in sorted(source.glob("*.safetensors")))
            for rank in range(self.neuron_config.tp_degree):
                (weights / f"tp{rank}_sharded_checkpoint.safetensors").write_bytes(
                    data[rank :: self.neuron_config.tp_degree]
                )

    def forward(self, *args, **kwargs):
        raise NotImplementedError("the stand-in runs no inference")

    def push_to_hub(self, save_directory, repository_id, private=None, revision=None, token=True, endpoint=None):
        raise NotImplementedError("the compile job never pushes to the Hub")


def install_model_classes() -> None:
    """Registers the stand-in as auto_models does for llama, in place of the module that cannot import; and
    models/neuron_config.py, which NeuronConfig.from_pretrained imports to register the config classes, with
    its inference class only (its training class imports neuronx_distributed)."""
    configs = "optimum.neuron.models.neuron_config"
    if configs not in sys.modules:
        module = types.ModuleType(configs, "stand-in for " + configs + " (optimum-neuron 0.4.5): inference only")
        module.NxDNeuronConfig = NxDNeuronConfig
        sys.modules[configs] = module
    name = "optimum.neuron.models.inference.auto_models"
    if name not in sys.modules:
        module = types.ModuleType(name, "stand-in for " + name + " (optimum-neuron 0.4.5)")
        module.LlamaNeuronModelForCausalLM = register_neuron_model("llama", "text-generation", "inference")(
            LlamaNeuronModelForCausalLM
        )
        sys.modules[name] = module
        import optimum.neuron.models.inference as package

        package.auto_models = module


class VllmServer:
    """The vLLM 0.11.0 entry points ServeCommand.run calls, recording the arguments it starts vLLM with.

    The parser holds the options ServeCommand passes and those of vLLM's serve parser that the endpoint
    may add; anything else is refused, as vLLM's parser would refuse an unknown option.
    """

    def __init__(self) -> None:
        self.started: argparse.Namespace | None = None

    def make_arg_parser(self, parser):
        parser.add_argument("--model")
        parser.add_argument("--served_model_name", "--served-model-name")
        parser.add_argument("--task")
        parser.add_argument("--port", type=int)
        parser.add_argument("--tensor-parallel-size", type=int)
        parser.add_argument("--max-num-seqs", type=int)
        parser.add_argument("--max-model-len", type=int)
        parser.add_argument("--dtype")
        parser.add_argument("--model-loader-extra-config")
        return parser

    def validate_parsed_serve_args(self, args) -> None:
        return None

    async def run_server(self, args, **uvicorn_kwargs) -> None:
        self.started = args
